// SPDX-License-Identifier: Apache-2.0
// pinniped-emulator: the Emulator as a process for shell e2e tests. Prints one JSON ready line on
// stdout, optionally writes it atomically to --ready-file, and runs until SIGTERM/SIGINT.
#include "emulator.hpp"
#include "internal.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>

namespace {

using pinnipedci::testing::ConciergeMode;
using pinnipedci::testing::EmulatorConfig;
using pinnipedci::testing::ExecApiVersion;
using pinnipedci::testing::KubeconfigOptions;

constexpr const char* k_usage = R"(usage: pinniped-emulator [flags]

Output:
  --kubeconfig-out FILE          write a Pinniped-style kubeconfig (mode 0600); with --clusters N > 1
                                 it has one context per cluster (current-context: cluster 0)
  --kubeconfig-dir DIR           also write DIR/cluster-<i>.yaml per cluster (0600; DIR made 0700)
  --ready-file FILE              write the ready line atomically to FILE
  --request-log FILE             JSON-lines request log (no secrets)
Clusters:
  --clusters N                   virtual workload clusters (default: 1): cluster 0 at the API root,
                                 cluster i at <api>/clusters/<i> with audience <request-audience>-<i>
  --worker-threads N             worker threads per server (default: 8)
Kubeconfig:
  --name NAME                    names <NAME>[-<i>]-{cluster,context,user}-pinniped (default: emulator)
  --pinniped-cli-path PATH       exec command (default: pinniped)
  --mode concierge-jwt|concierge-webhook|no-concierge   (default: concierge-jwt)
  --exec-api-version v1beta1|v1  (default: v1beta1; v1 adds interactiveMode: Never)
  --credential-cache PATH        add --credential-cache=PATH
  --session-cache PATH           add --session-cache=PATH
  --static-token TOKEN           webhook static token (default: emulator-static-token)
  --static-token-env NAME        kubeconfig uses --token-env=NAME instead of --token
Identity:
  --api-group-suffix S           (default: pinniped.dev)
  --idp-type ldap|activedirectory|oidc   (default: ldap)
  --idp-name NAME                (default: my-<type>)
  --oidc-password-grant allow|deny       (default: allow)
  --request-audience AUD         JWTAuthenticator audience (default: workload-cluster-1)
  --username NAME                (default: ci-bot)
  --password-file FILE           (default password: emulator-bot-password)
  --groups G1,G2                 (default: ci-robots,deployers)
Faults (all changeable at runtime via POST <admin>/faults):
  --cert-ttl SECONDS (300)  --token-ttl SECONDS (120)  --latency-ms N
  --fail-next PATH:STATUS[:COUNT] (repeatable)  --reset-next PATH[:COUNT] (repeatable)
  --authorize-status N  --wrong-state  --omit-nonce  --bad-signature  --wrong-issuer
  --expired-id-token  --reject-basic-auth  --include-kid  --tcr-auth-failed
)";

struct UsageError : std::runtime_error
{
  using std::runtime_error::runtime_error;
};

int to_int(const std::string& flag, const std::string& value)
{
  try {
    std::size_t used = 0;
    const int n = std::stoi(value, &used);
    if (used == value.size()) {
      return n;
    }
  } catch (const std::exception&) {
  }
  throw UsageError(flag + ": not an integer: " + value);
}

std::string read_file_trimmed(const std::string& path)
{
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw UsageError("cannot read " + path);
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) {
    s.pop_back();
  }
  return s;
}

void write_private(const std::string& path, const std::string& content)
{
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || ::fchmod(fd, 0600) != 0) {
    if (fd >= 0) {
      ::close(fd);
    }
    throw std::runtime_error("cannot write " + path);
  }
  std::size_t off = 0;
  while (off < content.size()) {
    const ssize_t n = ::write(fd, content.data() + off, content.size() - off);
    if (n <= 0) {
      ::close(fd);
      throw std::runtime_error("cannot write " + path);
    }
    off += static_cast<std::size_t>(n);
  }
  ::close(fd);
}

void write_atomically(const std::string& path, const std::string& content)
{
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  write_private(tmp, content);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw std::runtime_error("cannot rename " + tmp + " to " + path);
  }
}

std::vector<std::string> split(const std::string& s, char sep)
{
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string part;
  while (std::getline(ss, part, sep)) {
    if (!part.empty()) {
      out.push_back(part);
    }
  }
  return out;
}

struct Options
{
  EmulatorConfig cfg;
  KubeconfigOptions kube;
  std::string kubeconfig_out;
  std::string kubeconfig_dir;
  std::string ready_file;
  std::string password_file;
  std::string username = "ci-bot";
  std::string idp_name;
  std::string static_token = "emulator-static-token";
  std::vector<std::string> groups = {"ci-robots", "deployers"};
  pinnipedci::testing::IdpType idp_type = pinnipedci::testing::IdpType::ldap;
  bool password_grant = true;
};

Options parse(int argc, char** argv)
{
  Options o;
  const std::map<std::string, bool pinnipedci::testing::Faults::*> bool_flags = {
      {"--wrong-state", &pinnipedci::testing::Faults::wrong_state},
      {"--omit-nonce", &pinnipedci::testing::Faults::omit_nonce},
      {"--bad-signature", &pinnipedci::testing::Faults::bad_signature},
      {"--wrong-issuer", &pinnipedci::testing::Faults::wrong_issuer},
      {"--expired-id-token", &pinnipedci::testing::Faults::expired_id_token},
      {"--reject-basic-auth", &pinnipedci::testing::Faults::reject_basic_auth},
      {"--include-kid", &pinnipedci::testing::Faults::include_kid},
      {"--tcr-auth-failed", &pinnipedci::testing::Faults::tcr_auth_failed}};
  auto& f = o.cfg.faults;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    std::optional<std::string> inline_value;
    if (const auto eq = flag.find('='); flag.rfind("--", 0) == 0 && eq != std::string::npos) {
      inline_value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
    }
    if (flag == "--help" || flag == "-h") {
      std::cout << k_usage;
      std::exit(0);
    }
    if (const auto it = bool_flags.find(flag); it != bool_flags.end()) {
      f.*(it->second) = !inline_value || *inline_value == "true" || *inline_value == "1";
      continue;
    }
    auto value = [&]() -> std::string {
      if (inline_value) {
        return *inline_value;
      }
      if (i + 1 >= argc) {
        throw UsageError(flag + " needs a value");
      }
      return argv[++i];
    };
    if (flag == "--kubeconfig-out") {
      o.kubeconfig_out = value();
    } else if (flag == "--kubeconfig-dir") {
      o.kubeconfig_dir = value();
    } else if (flag == "--clusters") {
      o.cfg.clusters = to_int(flag, value());
      if (o.cfg.clusters < 1 || o.cfg.clusters > 100000) {
        throw UsageError("--clusters: expected 1..100000");
      }
    } else if (flag == "--worker-threads") {
      o.cfg.worker_threads = to_int(flag, value());
      if (o.cfg.worker_threads < 1 || o.cfg.worker_threads > 1024) {
        throw UsageError("--worker-threads: expected 1..1024");
      }
    } else if (flag == "--name") {
      o.kube.name = value();
      if (o.kube.name.empty()) {
        throw UsageError("--name: must not be empty");
      }
    } else if (flag == "--ready-file") {
      o.ready_file = value();
    } else if (flag == "--request-log") {
      o.cfg.request_log_path = value();
    } else if (flag == "--pinniped-cli-path") {
      o.kube.command = value();
    } else if (flag == "--mode") {
      const std::string m = value();
      if (m == "concierge-jwt") {
        o.kube.mode = ConciergeMode::concierge_jwt;
      } else if (m == "concierge-webhook") {
        o.kube.mode = ConciergeMode::concierge_webhook_static_token;
      } else if (m == "no-concierge") {
        o.kube.mode = ConciergeMode::no_concierge;
      } else {
        throw UsageError("--mode: expected concierge-jwt, concierge-webhook or no-concierge");
      }
    } else if (flag == "--exec-api-version") {
      const std::string v = value();
      if (v != "v1beta1" && v != "v1") {
        throw UsageError("--exec-api-version: expected v1beta1 or v1");
      }
      o.kube.exec_api_version = v == "v1" ? ExecApiVersion::v1 : ExecApiVersion::v1beta1;
    } else if (flag == "--credential-cache") {
      o.kube.credential_cache = value();
    } else if (flag == "--session-cache") {
      o.kube.session_cache = value();
    } else if (flag == "--static-token") {
      o.static_token = value();
    } else if (flag == "--static-token-env") {
      o.kube.static_token_env = value();
    } else if (flag == "--api-group-suffix") {
      o.cfg.api_group_suffix = value();
    } else if (flag == "--idp-type") {
      const auto t = pinnipedci::testing::idp_type_from_string(value());
      if (!t) {
        throw UsageError("--idp-type: expected ldap, activedirectory or oidc");
      }
      o.idp_type = *t;
    } else if (flag == "--idp-name") {
      o.idp_name = value();
    } else if (flag == "--oidc-password-grant") {
      const std::string v = value();
      if (v != "allow" && v != "deny") {
        throw UsageError("--oidc-password-grant: expected allow or deny");
      }
      o.password_grant = v == "allow";
    } else if (flag == "--request-audience") {
      o.cfg.jwt_authenticator_audience = value();
    } else if (flag == "--username") {
      o.username = value();
    } else if (flag == "--password-file") {
      o.password_file = value();
    } else if (flag == "--groups") {
      o.groups = split(value(), ',');
    } else if (flag == "--cert-ttl") {
      f.cert_ttl_seconds = to_int(flag, value());
    } else if (flag == "--token-ttl") {
      f.token_ttl_seconds = to_int(flag, value());
    } else if (flag == "--latency-ms") {
      f.latency_ms = to_int(flag, value());
    } else if (flag == "--authorize-status") {
      f.authorize_status = to_int(flag, value());
    } else if (flag == "--fail-next") {
      // PATH:STATUS[:COUNT], parsed from the right so PATH may contain ':'.
      std::string v = value();
      std::vector<std::string> tail;
      for (int k = 0; k < 2; ++k) {
        const auto colon = v.rfind(':');
        if (colon == std::string::npos) {
          break;
        }
        tail.insert(tail.begin(), v.substr(colon + 1));
        v = v.substr(0, colon);
      }
      if (tail.empty()) {
        throw UsageError("--fail-next: expected PATH:STATUS[:COUNT]");
      }
      pinnipedci::testing::FailRule rule{v, to_int(flag, tail[0]), 1};
      if (tail.size() == 2) {
        rule.count = to_int(flag, tail[1]);
      }
      f.fail_next.push_back(rule);
    } else if (flag == "--reset-next") {
      const std::string v = value();
      const auto colon = v.rfind(':');
      pinnipedci::testing::ResetRule rule{v, 1};
      if (colon != std::string::npos && colon + 1 < v.size()
          && v.find_first_not_of("0123456789", colon + 1) == std::string::npos) {
        rule.path = v.substr(0, colon);
        rule.count = to_int(flag, v.substr(colon + 1));
      }
      f.reset_next.push_back(rule);
    } else {
      throw UsageError("unknown flag " + flag);
    }
  }

  pinnipedci::testing::UpstreamIdp idp;
  idp.type = o.idp_type;
  idp.name = o.idp_name.empty() ? "my-" + std::string(pinnipedci::testing::to_string(o.idp_type)) : o.idp_name;
  idp.allow_password_grant = o.password_grant;
  o.cfg.idps = {idp};
  pinnipedci::testing::EmulatorUser user;
  user.username = o.username;
  user.groups = o.groups;
  if (!o.password_file.empty()) {
    user.password = read_file_trimmed(o.password_file);
  }
  o.cfg.users = {user};
  o.cfg.static_tokens = {{o.static_token, o.username, o.groups}};
  o.kube.static_token = o.static_token;
  return o;
}

} // namespace

int main(int argc, char** argv)
{
  Options options;
  try {
    options = parse(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "pinniped-emulator: " << e.what() << "\n" << k_usage;
    return 2;
  }

  // Block the termination signals before any thread exists; main waits for them with sigwait.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  try {
    pinnipedci::testing::Emulator emulator(options.cfg);
    emulator.start();
    if (!options.kubeconfig_out.empty()) {
      // With one cluster kubeconfig_yaml_all() is exactly kubeconfig_yaml().
      write_private(options.kubeconfig_out, emulator.kubeconfig_yaml_all(options.kube));
    }
    if (!options.kubeconfig_dir.empty()) {
      if (::mkdir(options.kubeconfig_dir.c_str(), 0700) != 0 && errno != EEXIST) {
        throw std::runtime_error("cannot create " + options.kubeconfig_dir);
      }
      for (int i = 0; i < emulator.clusters(); ++i) {
        KubeconfigOptions kube = options.kube;
        kube.cluster = i;
        write_private(options.kubeconfig_dir + "/cluster-" + std::to_string(i) + ".yaml",
                      emulator.kubeconfig_yaml(kube));
      }
    }
    rapidjson::StringBuffer buf;
    pinnipedci::testing::detail::JsonWriter w(buf);
    w.StartObject();
    pinnipedci::testing::detail::jkv(w, "issuer", emulator.issuer());
    pinnipedci::testing::detail::jkv(w, "api", emulator.api_url());
    pinnipedci::testing::detail::jkv(w, "ca_bundle_data",
                                     pinnipedci::testing::detail::base64_encode(emulator.supervisor_ca_pem()));
    pinnipedci::testing::detail::jkv(w, "kubeconfig", options.kubeconfig_out);
    pinnipedci::testing::detail::jkv(w, "admin", emulator.admin_url());
    pinnipedci::testing::detail::jkey(w, "clusters");
    w.Int(emulator.clusters());
    pinnipedci::testing::detail::jkv(w, "kubeconfig_dir", options.kubeconfig_dir);
    pinnipedci::testing::detail::jkv(w, "name", options.kube.name);
    pinnipedci::testing::detail::jkey(w, "pid");
    w.Int(static_cast<int>(::getpid()));
    w.EndObject();
    const std::string ready = std::string(buf.GetString()) + "\n";
    if (!options.ready_file.empty()) {
      write_atomically(options.ready_file, ready);
    }
    std::cout << ready << std::flush;

    int sig = 0;
    sigwait(&signals, &sig);
    emulator.stop();
  } catch (const std::exception& e) {
    std::cerr << "pinniped-emulator: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
