#pragma once
/// Routing: which parser reads a file. First the S3 key layout
/// (`AWSLogs/[o-org/]<acct>/{CloudTrail,CloudTrail-Insight,CloudTrail-Digest,vpcflowlogs,
/// vpcdnsquerylogs,GuardDuty}/...`, Hive-style `aws-account-id=`/`aws-service=`/`aws-region=`
/// folders, and AWS's file-name patterns), then, when the path says nothing, the content.
#include <string_view>

#include "ingest/event.h"

namespace sentinel::ingest {

/// What the path says. Views point into `path`.
PathInfo route_by_path(std::string_view path);

/// Guesses the log type from the first bytes of decoded data (a few KB are enough).
LogType sniff_content(std::string_view head);

}  // namespace sentinel::ingest
