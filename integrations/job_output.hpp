// Renderings of a job login result shared by the front ends (no secrets in any of them).
#pragma once

#include <pinnipedci/job.hpp>

#include <string>
#include <vector>

namespace pinnipedci {

// {"job_dir":..,"kubeconfig":..,"contexts":[..],"expiration":..,"username":..,"groups":[..],...}
std::string job_summary_json(const JobLoginResult& result);
// Context names, in order.
std::vector<std::string> job_contexts(const JobLoginResult& result);
// The identity of the first cluster that reported one (all clusters normally agree).
Identity job_identity(const JobLoginResult& result);
// Earliest expiry as RFC 3339, or "" when unknown.
std::string job_expiration(const JobLoginResult& result);

} // namespace pinnipedci
