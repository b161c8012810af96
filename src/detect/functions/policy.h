#pragma once
/// Functions that read the content of a request rather than one scalar: who an IAM or S3
/// resource policy in the request lets in (`policy_exposure`), and whether two fields of one
/// event differ (`fields_differ`). Stateless and thread-safe.
#include <string_view>

#include "detect/ir/predicate.h"

namespace sentinel::detect::functions {

/// What a policy document lets in, strongest first.
enum class PolicyExposure : uint8_t {
  kNone,          ///< only named principals of the owning account, or AWS services
  kCrossAccount,  ///< an Allow names a principal of another account
  kAnonymous,     ///< an Allow with principal `*` (or NotPrincipal) and no restricting condition
};

/// "none", "cross_account", "anonymous".
const char* policy_exposure_name(PolicyExposure e);

/// Classifies a policy document given as JSON text (`{"Statement": [...]}`). `own_account` (12
/// digits, may be empty) is the account the resource belongs to. False when `json` is not a
/// policy (not JSON, or no Statement).
bool classify_policy_json(std::string_view json, std::string_view own_account, PolicyExposure* out);

/// `policy_exposure(policy_field)` or `policy_exposure(policy_field, account_field)` →
/// "anonymous" | "cross_account" | "none". The policy field is an object in the record
/// (`requestParameters.bucketPolicy`) or a string holding JSON (`requestParameters.policyDocument`,
/// URL-encoded or not). A statement counts when its Effect is Allow; a wildcard principal is
/// restricted (so not anonymous) by a condition on the caller's network, organisation, account
/// or identity (aws:SourceIp, aws:SourceVpc(e), aws:PrincipalOrgID, aws:PrincipalAccount,
/// aws:PrincipalArn, aws:SourceArn, aws:SourceAccount, aws:userid, ...). An account other than
/// `account_field` named in a principal is cross-account. No value when the field holds no
/// policy. CloudTrail only.
class PolicyExposureFunction : public Function {
 public:
  bool call(const EventView& ev, const std::vector<FieldRef>& args, Value* out,
            std::string* buf) const override;
};

/// `fields_differ(a, b)` → true when both fields have a value and their first values differ as
/// text, false when they are equal; no value when either is missing.
class FieldsDifferFunction : public Function {
 public:
  bool call(const EventView& ev, const std::vector<FieldRef>& args, Value* out,
            std::string* buf) const override;
};

/// `foreign_arn(arns, account)`: true when any ARN among the first field's values (a string or an
/// array of strings) names a 12-digit account other than the second field's value (for example a
/// Lambda layer or a KMS key of another account); false when none does. No value when the
/// account field is absent.
class ForeignArnFunction : public Function {
 public:
  bool call(const EventView& ev, const std::vector<FieldRef>& args, Value* out,
            std::string* buf) const override;
};

}  // namespace sentinel::detect::functions
