#include <pinnipedci/kubeconfig.hpp>

#include "crypto/crypto.hpp"
#include "json/json_util.hpp"

#include <yaml-cpp/yaml.h>

#include <sstream>

namespace pinnipedci {
namespace {

std::string where(const std::string& source, const std::string& context)
{
  std::string w = "kubeconfig " + source;
  if (!context.empty()) {
    w += ", context \"" + context + "\"";
  }
  return w;
}

tl::unexpected<Error> bad(const std::string& source, const std::string& context, const std::string& what)
{
  return fail(ErrorKind::usage, where(source, context) + ": " + what);
}

std::string scalar_or(const YAML::Node& node, const char* key, std::string fallback = {})
{
  if (!node.IsMap()) {
    return fallback;
  }
  YAML::Node v = node[key];
  if (!v || !v.IsScalar()) {
    return fallback;
  }
  return v.Scalar();
}

bool bool_or(const YAML::Node& node, const char* key)
{
  std::string v = scalar_or(node, key);
  return v == "true" || v == "True" || v == "TRUE";
}

void yaml_to_json(const YAML::Node& node, std::string& out)
{
  switch (node.Type()) {
  case YAML::NodeType::Map: {
    out.push_back('{');
    bool first = true;
    for (const auto& kv : node) {
      if (!first) {
        out.push_back(',');
      }
      first = false;
      json::append_go_string(out, kv.first.Scalar());
      out.push_back(':');
      yaml_to_json(kv.second, out);
    }
    out.push_back('}');
    break;
  }
  case YAML::NodeType::Sequence: {
    out.push_back('[');
    bool first = true;
    for (const auto& item : node) {
      if (!first) {
        out.push_back(',');
      }
      first = false;
      yaml_to_json(item, out);
    }
    out.push_back(']');
    break;
  }
  case YAML::NodeType::Scalar: {
    const std::string& s = node.Scalar();
    if (node.Tag() == "?" && (s == "true" || s == "false" || s == "null")) {
      out += s;
    } else if (node.Tag() == "?" && !s.empty() && s.find_first_not_of("-0123456789.") == std::string::npos &&
               s != "-" && s != ".") {
      out += s;
    } else {
      json::append_go_string(out, s);
    }
    break;
  }
  default:
    out += "null";
  }
}

// Finds the entry `name` in a list of {name:, <field>:} items.
YAML::Node find_named(const YAML::Node& list, const std::string& name, const char* field)
{
  if (!list || !list.IsSequence()) {
    return YAML::Node();
  }
  for (const auto& item : list) {
    if (item.IsMap() && scalar_or(item, "name") == name) {
      return item[field];
    }
  }
  return YAML::Node();
}

Result<YAML::Node> load(const std::string& text, const std::string& source)
{
  try {
    YAML::Node root = YAML::Load(text);
    if (!root.IsMap()) {
      return fail(ErrorKind::usage, "kubeconfig " + source + ": not a kubeconfig (expected a YAML mapping with "
                                    "clusters, contexts and users)");
    }
    return root;
  } catch (const YAML::Exception& e) {
    return fail(ErrorKind::usage, "kubeconfig " + source + ": invalid YAML at line " +
                                    std::to_string(e.mark.line + 1) + ", column " +
                                    std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
}

} // namespace

Result<std::vector<std::string>> list_kubeconfig_contexts(const std::string& yaml_text, const std::string& source)
{
  PCI_TRY_ASSIGN(YAML::Node root, load(yaml_text, source));
  std::vector<std::string> names;
  YAML::Node contexts = root["contexts"];
  if (contexts && contexts.IsSequence()) {
    for (const auto& item : contexts) {
      std::string name = scalar_or(item, "name");
      if (!name.empty()) {
        names.push_back(name);
      }
    }
  }
  return names;
}

Result<KubeconfigContext> read_kubeconfig_context(const std::string& yaml_text, const std::string& source,
                                                  const std::string& wanted)
{
  PCI_TRY_ASSIGN(YAML::Node root, load(yaml_text, source));
  try {
    KubeconfigContext out;
    out.source = source;
    out.name = wanted.empty() ? scalar_or(root, "current-context") : wanted;
    if (out.name.empty()) {
      return bad(source, {}, "no current-context is set; choose a context explicitly");
    }
    YAML::Node ctx = find_named(root["contexts"], out.name, "context");
    if (!ctx || !ctx.IsMap()) {
      return bad(source, out.name, "context not found");
    }
    std::string cluster_name = scalar_or(ctx, "cluster");
    out.user_name = scalar_or(ctx, "user");
    YAML::Node cluster = find_named(root["clusters"], cluster_name, "cluster");
    if (!cluster || !cluster.IsMap()) {
      return bad(source, out.name, "cluster \"" + cluster_name + "\" not found");
    }
    out.cluster.name = cluster_name;
    out.cluster.server = scalar_or(cluster, "server");
    if (out.cluster.server.empty()) {
      return bad(source, out.name, "cluster \"" + cluster_name + "\" has no server");
    }
    out.cluster.certificate_authority_data = scalar_or(cluster, "certificate-authority-data");
    out.cluster.tls_server_name = scalar_or(cluster, "tls-server-name");
    out.cluster.insecure_skip_tls_verify = bool_or(cluster, "insecure-skip-tls-verify");
    out.cluster.proxy_url = scalar_or(cluster, "proxy-url");
    out.cluster.disable_compression = bool_or(cluster, "disable-compression");
    YAML::Node ext = find_named(cluster["extensions"], "client.authentication.k8s.io/exec", "extension");
    if (ext) {
      out.cluster.exec_extension_json.clear();
      yaml_to_json(ext, out.cluster.exec_extension_json);
    }
    YAML::Node user = find_named(root["users"], out.user_name, "user");
    if (!user || !user.IsMap()) {
      return bad(source, out.name, "user \"" + out.user_name + "\" not found");
    }
    YAML::Node exec = user["exec"];
    if (exec && exec.IsMap()) {
      ExecPluginConfig e;
      e.api_version = scalar_or(exec, "apiVersion");
      e.command = scalar_or(exec, "command");
      if (YAML::Node args = exec["args"]; args && args.IsSequence()) {
        for (const auto& a : args) {
          if (!a.IsScalar()) {
            return bad(source, out.name, "user \"" + out.user_name + "\": exec args must be strings");
          }
          e.args.push_back(a.Scalar());
        }
      }
      if (YAML::Node env = exec["env"]; env && env.IsSequence()) {
        for (const auto& item : env) {
          e.env.emplace_back(scalar_or(item, "name"), scalar_or(item, "value"));
        }
      }
      e.provide_cluster_info = bool_or(exec, "provideClusterInfo");
      e.interactive_mode = scalar_or(exec, "interactiveMode");
      out.exec = std::move(e);
    }
    return out;
  } catch (const YAML::Exception& e) {
    return bad(source, wanted, "invalid structure at line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
}

Result<std::vector<std::string>> split_kubeconfig_data(const std::string& data, const std::string& source)
{
  std::string text = data;
  auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) {
    return fail(ErrorKind::usage, "kubeconfig " + source + " is empty");
  }
  // Base64 has neither ':' nor a line starting with "---"; YAML kubeconfigs always have ':'.
  if (text.find(':') == std::string::npos) {
    auto decoded = crypto::base64_decode(text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1));
    if (!decoded) {
      return fail(ErrorKind::usage, "kubeconfig " + source + " is neither YAML nor base64-encoded YAML");
    }
    text = std::move(*decoded);
  }
  // Split at "---" lines ourselves: yaml-cpp 0.7's LoadAll() loops forever on some malformed
  // input (found by tests/unit/robustness_test.cpp), Load() of one document does not.
  std::vector<std::string> chunks(1);
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    bool separator = line.rfind("---", 0) == 0 && (line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r');
    if (separator) {
      chunks.emplace_back(line.substr(3) + "\n");
    } else if (line == "..." || line == "...\r") {
      chunks.emplace_back();
    } else {
      chunks.back() += line + "\n";
    }
  }
  std::vector<std::string> documents;
  for (const auto& chunk : chunks) {
    try {
      YAML::Node doc = YAML::Load(chunk);
      if (!doc || doc.IsNull()) {
        continue;
      }
      YAML::Emitter out;
      out << doc;
      documents.emplace_back(out.c_str());
    } catch (const YAML::Exception& e) {
      return fail(ErrorKind::usage, "kubeconfig " + source + ": invalid YAML at line " +
                                      std::to_string(e.mark.line + 1) + ": " + e.msg);
    }
  }
  if (documents.empty()) {
    return fail(ErrorKind::usage, "kubeconfig " + source + " holds no YAML document");
  }
  return documents;
}

Result<PinnipedContext> read_pinniped_context(const std::string& yaml_text, const std::string& source,
                                              const std::string& context)
{
  PCI_TRY_ASSIGN(KubeconfigContext ctx, read_kubeconfig_context(yaml_text, source, context));
  if (!ctx.exec) {
    return bad(source, ctx.name, "user \"" + ctx.user_name +
                                   "\" has no exec plugin; not a Pinniped kubeconfig (generate one with "
                                   "`pinniped get kubeconfig`)");
  }
  const auto& args = ctx.exec->args;
  if (args.size() < 2 || args[0] != "login" || (args[1] != "oidc" && args[1] != "static")) {
    return bad(source, ctx.name, "user \"" + ctx.user_name +
                                   "\": exec args do not start with \"login oidc\" or \"login static\"; not a "
                                   "Pinniped kubeconfig");
  }
  auto parsed = parse_login_args(args);
  if (!parsed) {
    return bad(source, ctx.name, "user \"" + ctx.user_name + "\": " + parsed.error().message());
  }
  return PinnipedContext{std::move(ctx), std::move(*parsed)};
}

} // namespace pinnipedci
