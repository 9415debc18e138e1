// Parses `login oidc|static` arguments with pflag semantics: --name=value, --name value,
// boolean --name / --name=true|false, comma-separated slices that replace the default on first use
// and append afterwards.
#include <pinnipedci/options.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <functional>
#include <map>
#include <memory>

namespace pinnipedci {
namespace {

enum class FlagType { string, boolean, integer, slice };

struct Flag
{
  FlagType type;
  std::function<void(const std::string&)> set; // receives the raw value ("true" for bare booleans)
};

std::vector<std::string> split_csv(const std::string& value)
{
  std::vector<std::string> out;
  if (value.empty()) {
    return out;
  }
  std::size_t start = 0;
  while (true) {
    auto comma = value.find(',', start);
    out.push_back(value.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) {
      break;
    }
    start = comma + 1;
  }
  return out;
}

std::optional<bool> parse_bool(const std::string& v)
{
  // strconv.ParseBool
  if (v == "1" || v == "t" || v == "T" || v == "true" || v == "TRUE" || v == "True") {
    return true;
  }
  if (v == "0" || v == "f" || v == "F" || v == "false" || v == "FALSE" || v == "False") {
    return false;
  }
  return std::nullopt;
}

class FlagSet
{
public:
  void add(const std::string& name, FlagType type, std::function<void(const std::string&)> set)
  {
    m_flags.emplace(name, Flag{type, std::move(set)});
  }
  void add_string(const std::string& name, std::string& target)
  {
    add(name, FlagType::string, [&target](const std::string& v) { target = v; });
  }
  void add_optional(const std::string& name, std::optional<std::string>& target)
  {
    add(name, FlagType::string, [&target](const std::string& v) { target = v; });
  }
  void add_bool(const std::string& name, bool& target)
  {
    add(name, FlagType::boolean, [&target](const std::string& v) { target = (v == "true"); });
  }
  void add_slice(const std::string& name, std::vector<std::string>& target)
  {
    auto touched = std::make_shared<bool>(false);
    add(name, FlagType::slice, [&target, touched](const std::string& v) {
      if (!*touched) {
        target.clear();
        *touched = true;
      }
      auto parts = split_csv(v);
      target.insert(target.end(), parts.begin(), parts.end());
    });
  }

  Result<void> parse(const std::vector<std::string>& args, std::size_t first, const std::string& command_name)
  {
    for (std::size_t i = first; i < args.size(); ++i) {
      const std::string& arg = args[i];
      if (arg.rfind("--", 0) != 0 || arg.size() == 2) {
        if (arg == "--") {
          if (i + 1 < args.size()) {
            return fail(ErrorKind::usage,
                        "unknown command \"" + args[i + 1] + "\" for \"" + command_name + "\"");
          }
          return {};
        }
        return fail(ErrorKind::usage, "unknown command \"" + arg + "\" for \"" + command_name + "\"");
      }
      std::string name = arg.substr(2);
      std::optional<std::string> value;
      if (auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name.resize(eq);
      }
      auto it = m_flags.find(name);
      if (it == m_flags.end()) {
        return fail(ErrorKind::usage, "unknown flag: --" + name);
      }
      Flag& flag = it->second;
      if (flag.type == FlagType::boolean) {
        auto b = parse_bool(value.value_or("true"));
        if (!b) {
          return fail(ErrorKind::usage, "invalid argument \"" + *value + "\" for \"--" + name +
                                          "\" flag: strconv.ParseBool: parsing \"" + *value +
                                          "\": invalid syntax");
        }
        flag.set(*b ? "true" : "false");
        continue;
      }
      if (!value) {
        if (i + 1 >= args.size()) {
          return fail(ErrorKind::usage, "flag needs an argument: --" + name);
        }
        value = args[++i];
      }
      if (flag.type == FlagType::integer) {
        int n = 0;
        auto [ptr, ec] = std::from_chars(value->data(), value->data() + value->size(), n);
        if (ec != std::errc() || ptr != value->data() + value->size()) {
          return fail(ErrorKind::usage, "invalid argument \"" + *value + "\" for \"--" + name +
                                          "\" flag: must be an integer");
        }
      }
      flag.set(*value);
    }
    return {};
  }

private:
  std::map<std::string, Flag> m_flags;
};

void add_concierge_flags(FlagSet& flags, ConciergeOptions& c, std::optional<std::string>& credential_cache)
{
  flags.add_bool("enable-concierge", c.enabled);
  flags.add_string("concierge-authenticator-type", c.authenticator_type);
  flags.add_string("concierge-authenticator-name", c.authenticator_name);
  flags.add_string("concierge-endpoint", c.endpoint);
  flags.add_string("concierge-ca-bundle-data", c.ca_bundle_data);
  flags.add_string("concierge-api-group-suffix", c.api_group_suffix);
  flags.add("concierge-namespace", FlagType::string, [](const std::string&) {}); // deprecated, ignored
  flags.add_optional("credential-cache", credential_cache);
}

bool is_dns1123_subdomain(const std::string& s)
{
  if (s.empty() || s.size() > 253) {
    return false;
  }
  std::size_t start = 0;
  while (start <= s.size()) {
    auto dot = s.find('.', start);
    std::string label = s.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (label.empty() || label.size() > 63 || !std::isalnum(static_cast<unsigned char>(label.front())) ||
        !std::isalnum(static_cast<unsigned char>(label.back()))) {
      return false;
    }
    for (char ch : label) {
      auto uc = static_cast<unsigned char>(ch);
      if (!(std::islower(uc) || std::isdigit(uc) || ch == '-')) {
        return false;
      }
    }
    if (dot == std::string::npos) {
      break;
    }
    start = dot + 1;
  }
  return true;
}

} // namespace

Result<ParsedLogin> parse_login_args(const std::vector<std::string>& args)
{
  if (args.size() < 2 || args[0] != "login" || (args[1] != "oidc" && args[1] != "static")) {
    return fail(ErrorKind::usage, "expected arguments to start with \"login oidc\" or \"login static\"");
  }
  ParsedLogin parsed;
  FlagSet flags;
  flags.add_bool("debug", parsed.debug);
  flags.add("credential-min-validity", FlagType::integer,
            [&parsed](const std::string& v) { parsed.credential_min_validity = std::stoi(v); });
  if (args[1] == "oidc") {
    OidcLoginOptions o;
    flags.add_string("issuer", o.issuer);
    flags.add_string("client-id", o.client_id);
    flags.add_slice("scopes", o.scopes);
    flags.add("listen-port", FlagType::integer, [&o](const std::string& v) { o.listen_port = std::stoi(v); });
    flags.add_bool("skip-browser", o.skip_browser);
    flags.add_bool("skip-listen", o.skip_listen);
    flags.add_optional("session-cache", o.session_cache);
    flags.add_slice("ca-bundle", o.ca_bundle_paths);
    flags.add_slice("ca-bundle-data", o.ca_bundle_data);
    flags.add_bool("debug-session-cache", o.debug_session_cache);
    flags.add_string("request-audience", o.request_audience);
    flags.add_string("upstream-identity-provider-name", o.upstream_idp_name);
    flags.add_string("upstream-identity-provider-type", o.upstream_idp_type);
    flags.add_string("upstream-identity-provider-flow", o.upstream_idp_flow);
    flags.add_string("password-file", o.password_file);
    add_concierge_flags(flags, o.concierge, o.credential_cache);
    PCI_TRY(flags.parse(args, 2, "pinniped login oidc"));
    if (o.issuer.empty()) {
      return fail(ErrorKind::usage, "required flag(s) \"issuer\" not set");
    }
    parsed.command = std::move(o);
  } else {
    StaticLoginOptions s;
    flags.add_string("token", s.token);
    flags.add_string("token-env", s.token_env);
    add_concierge_flags(flags, s.concierge, s.credential_cache);
    PCI_TRY(flags.parse(args, 2, "pinniped login static"));
    parsed.command = std::move(s);
  }
  return parsed;
}

Result<void> validate_concierge(const ConciergeOptions& c)
{
  auto invalid = [](const std::string& why) {
    return fail(ErrorKind::usage, "invalid Concierge parameters: " + why);
  };
  if (!c.enabled) {
    return {};
  }
  if (c.endpoint.empty()) {
    return invalid("endpoint must not be empty");
  }
  if (auto colon = c.endpoint.find("://"); colon == std::string::npos || c.endpoint.substr(0, colon) != "https") {
    std::string scheme = colon == std::string::npos ? "" : c.endpoint.substr(0, colon);
    return invalid("invalid endpoint scheme \"" + scheme + "\" (must be \"https\")");
  }
  if (c.authenticator_name.empty()) {
    return invalid("authenticator name must not be empty");
  }
  std::string type = c.authenticator_type;
  std::transform(type.begin(), type.end(), type.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  if (type != "jwt" && type != "webhook") {
    return invalid("invalid authenticator type: \"" + c.authenticator_type +
                   "\", supported values are \"webhook\" and \"jwt\"");
  }
  if (!is_dns1123_subdomain(c.api_group_suffix) || c.api_group_suffix.find('.') == std::string::npos) {
    return invalid("invalid API group suffix: must be a DNS-1123 subdomain with at least one dot: \"" +
                   c.api_group_suffix + "\"");
  }
  return {};
}

} // namespace pinnipedci
