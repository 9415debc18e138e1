#include <pinnipedci/whoami.hpp>

#include "concierge/concierge.hpp"
#include "http/ca_bundle.hpp"

namespace pinnipedci {

Result<WhoAmIResult> whoami(const KubeconfigContext& context, const Credential& credential,
                            const std::string& api_group_suffix, LogSink& log)
{
  if (context.cluster.insecure_skip_tls_verify) {
    return fail(ErrorKind::usage, "kubeconfig " + context.source + ", context \"" + context.name +
                                    "\": insecure-skip-tls-verify is not supported; set certificate-authority-data");
  }
  http::TlsConfig tls;
  if (!context.cluster.certificate_authority_data.empty()) {
    auto pem = http::decode_ca_bundle(context.cluster.certificate_authority_data);
    if (!pem) {
      return tl::unexpected(pem.error().with_context("kubeconfig " + context.source + ", cluster \"" +
                                                     context.cluster.name + "\""));
    }
    tls.ca_pem = std::move(*pem);
  }
  http::Client client(log, "pinniped-ci");
  PCI_TRY_ASSIGN(concierge::WhoAmI who,
                 concierge::whoami(client, context.cluster.server, tls, credential, api_group_suffix));
  WhoAmIResult out;
  out.cluster_name = context.cluster.name;
  out.cluster_url = context.cluster.server;
  out.username = who.username;
  out.uid = who.uid;
  out.groups = who.groups;
  out.extra = who.extra;
  return out;
}

} // namespace pinnipedci
