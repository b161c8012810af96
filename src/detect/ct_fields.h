#pragma once
/// The CloudTrail fields the parser extracts (`eventName`, `sourceIPAddress`, ...), by id: a
/// rule's FieldRef::ct_field names one, and EventView::direct and the compiled rule tests
/// (detect/ir/flat_match) read it from the event without walking the record's JSON.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ingest/parsers/cloudtrail/cloudtrail.h"

namespace sentinel::detect {

/// The paths, in id order (the switch in ct_field_text).
inline constexpr std::string_view kCtTypedPaths[] = {
    "eventName",
    "eventSource",
    "eventType",
    "awsRegion",
    "sourceIPAddress",
    "userAgent",
    "errorCode",
    "errorMessage",
    "eventID",
    "recipientAccountId",
    "eventCategory",
    "userIdentity.type",
    "userIdentity.arn",
    "userIdentity.accountId",
    "userIdentity.accessKeyId",
    "userIdentity.userName",
    "userIdentity.principalId",
    "userIdentity.invokedBy",
    "userIdentity.sessionContext.sessionIssuer.arn",
    "userIdentity.sessionContext.sessionIssuer.userName"};

/// The id of `sourceIPAddress` (its address is parsed: CloudTrailEvent::source_ip).
inline constexpr int kCtSourceIp = 4;

/// The paths whose presence the parser records (CloudTrailEvent::present, null members
/// included), so that `exists` of them needs no tree: the typed fields at the top level and in
/// userIdentity, and vpcEndpointAccountId.
inline constexpr struct {
  std::string_view path;
  uint32_t bit;
} kCtPresencePaths[] = {
    {"eventName", ingest::kCtHasEventName},
    {"eventSource", ingest::kCtHasEventSource},
    {"eventType", ingest::kCtHasEventType},
    {"awsRegion", ingest::kCtHasAwsRegion},
    {"sourceIPAddress", ingest::kCtHasSourceIp},
    {"userAgent", ingest::kCtHasUserAgent},
    {"errorCode", ingest::kCtHasErrorCode},
    {"errorMessage", ingest::kCtHasErrorMessage},
    {"eventID", ingest::kCtHasEventId},
    {"recipientAccountId", ingest::kCtHasRecipientAccountId},
    {"eventCategory", ingest::kCtHasEventCategory},
    {"userIdentity.type", ingest::kCtHasIdentityType},
    {"userIdentity.arn", ingest::kCtHasIdentityArn},
    {"userIdentity.accountId", ingest::kCtHasIdentityAccountId},
    {"userIdentity.accessKeyId", ingest::kCtHasIdentityAccessKeyId},
    {"userIdentity.userName", ingest::kCtHasIdentityUserName},
    {"userIdentity.principalId", ingest::kCtHasIdentityPrincipalId},
    {"userIdentity.invokedBy", ingest::kCtHasIdentityInvokedBy},
    {"vpcEndpointAccountId", ingest::kCtHasVpcEndpointAccountId},
};

/// The extracted text of field `id` (empty: absent, null or "", which only the record tells apart).
inline std::string_view ct_field_text(const ingest::CloudTrailEvent& e, int id) {
  switch (id) {
    case 0:
      return e.event_name;
    case 1:
      return e.event_source;
    case 2:
      return e.event_type;
    case 3:
      return e.aws_region;
    case 4:
      return e.source_ip_address;
    case 5:
      return e.user_agent;
    case 6:
      return e.error_code;
    case 7:
      return e.error_message;
    case 8:
      return e.event_id;
    case 9:
      return e.recipient_account_id;
    case 10:
      return e.event_category;
    case 11:
      return e.identity.type;
    case 12:
      return e.identity.arn;
    case 13:
      return e.identity.account_id;
    case 14:
      return e.identity.access_key_id;
    case 15:
      return e.identity.user_name;
    case 16:
      return e.identity.principal_id;
    case 17:
      return e.identity.invoked_by;
    case 18:
      return e.identity.issuer_arn;
    case 19:
      return e.identity.issuer_user_name;
    default:
      return {};
  }
}

}  // namespace sentinel::detect
