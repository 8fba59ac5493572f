// faults.go holds the fault switches: their names, the catalog (FaultInfo: the rule each
// breaks and how) and the lookup the decision points use.

package emulator

import "slices"

// Faults are deliberate, realistic defects the emulator can be started with (Config.Faults).
// Each breaks exactly one catalog rule, so a conformance run against a faulted emulator must
// fail that rule; this is how the suites are self-tested. Every fault is checked in exactly
// one place, the place where its rule is decided: a named decision point in one of the
// decisions_*.go files (where variants are decided too), so the reference logic never tests
// a fault itself.

// Fault switch names.
const (
	faultSkipContractVersionCheck            = "skip-contract-version-check"
	faultContractVersionError406             = "contract-version-error-406"
	faultRejectContractVersion104            = "reject-contract-version-104"
	faultJSONServedAsTextPlain               = "json-served-as-text-plain"
	faultEmpty403Body                        = "empty-403-body"
	faultCaseSensitivePathLiterals           = "case-sensitive-path-literals"
	faultAcceptMissingAuthorization          = "accept-missing-authorization"
	faultMalformedAuthorization400           = "malformed-authorization-400"
	faultAcceptForgedToken                   = "accept-forged-token"
	faultActivityAnswers200                  = "activity-answers-200"
	faultDropHandleContentLocation           = "drop-handle-content-location"
	faultActivityWithoutCreateTime           = "activity-without-createtime"
	faultActivitySkipsMembershipCheck        = "activity-skips-membership-check"
	faultActivityNonMember404                = "activity-nonmember-404"
	faultSkipActivityReplacement             = "skip-activity-replacement"
	faultActivityReplacementPerSession       = "activity-replacement-per-session"
	faultNoChangeNumberBump                  = "no-changenumber-bump"
	faultInviteWithoutExpiration             = "invite-without-expiration"
	faultAcceptLongInviteContext             = "accept-long-invite-context"
	faultInvalidInvite422                    = "invalid-invite-422"
	faultInviteRefusesClosedSession          = "invite-refuses-closed-session"
	faultInviteIgnoresOwners                 = "invite-ignores-owners"
	faultMalformedJSON500                    = "malformed-json-500"
	faultTransferDropsOrigin                 = "transfer-drops-origin"
	faultTransferOriginOptional              = "transfer-origin-optional"
	faultSearchDropsAttributes               = "search-drops-attributes"
	faultHandlesSkipTemplateCheck            = "handles-skip-template-check"
	faultDuplicateQueryResults               = "duplicate-query-results"
	faultOwnersXuidsSkipCaller               = "owners-xuids-skip-caller"
	faultPeopleQueryReturnsSelf              = "people-query-returns-self"
	faultQueryIgnoresOwners                  = "query-ignores-owners"
	faultClampTakeTo100                      = "clamp-take-to-100"
	faultNonNumericTakeIgnored               = "non-numeric-take-ignored"
	faultTake100Rejected                     = "take-100-rejected"
	faultTakePlusOne                         = "take-plus-one"
	faultTakeZeroMeansDefault                = "take-zero-means-default"
	faultPrivateVisibilityWithoutPrivateFlag = "private-visibility-without-private-flag"
	faultPrivateVisibility403                = "private-visibility-403"
	faultVersionLimitIgnored                 = "version-limit-ignored"
	faultVersionAboveLimit406                = "version-above-limit-406"
	faultLenientBooleanParameters            = "lenient-boolean-parameters"
	faultAllowPrivateQueryForUsers           = "allow-private-query-for-users"
	faultPrivateQueryServerOnly              = "private-query-server-only"
	faultPrivateQueryForbidsServers          = "private-query-forbids-servers"
	faultRelatedInfoOmitsFalseClosed         = "relatedinfo-omits-false-closed"
	faultCustomPropertiesFromConstants       = "customproperties-from-constants"
	faultAlwaysIncludeRelatedInfo            = "always-include-relatedinfo"
	faultAcceptBothOwnerForms                = "accept-both-owner-forms"
	faultIncludeSingleItemOnly               = "include-single-item-only"
	faultKeywordFilterIgnored                = "keyword-filter-ignored"
	faultEmptyKeywordIgnored                 = "empty-keyword-ignored"
	faultXuidFilterIgnored                   = "xuid-filter-ignored"
	faultXuidOverflowAccepted                = "xuid-overflow-accepted"
	faultIgnoreReservationsParameter         = "ignore-reservations-parameter"
	faultIgnoreInactiveParameter             = "ignore-inactive-parameter"
	faultPrivateSessionsAlwaysListed         = "private-sessions-always-listed"
	faultVisibilityFilterIgnored             = "visibility-filter-ignored"
	faultUnknownVisibilityIgnored            = "unknown-visibility-ignored"
	faultVersionFilterExclusive              = "version-filter-exclusive"
	faultNegativeVersionAccepted             = "negative-version-accepted"
	faultUnknownIncludeIgnored               = "unknown-include-ignored"
	faultSearchQueryAppliesOwnerFilter       = "search-query-applies-owner-filter"
	faultHandleGetTextPlain                  = "handle-get-text-plain"
	faultHandleGetLowercasesSessionRef       = "handle-get-lowercases-sessionref"
	faultNonGUIDHandleID400                  = "non-guid-handle-id-400"
	faultForgetToDeleteHandle                = "forget-to-delete-handle"
	faultDeleteAnswers200                    = "delete-answers-200"
	faultDeleteIgnoresOwner                  = "delete-ignores-owner"
	faultHandleSessionReturnsHandle          = "handle-session-returns-handle"
	faultHandleSessionDropsContentLocation   = "handle-session-drops-content-location"
	faultHandleSessionDropsETag              = "handle-session-drops-etag"
	faultHandleSessionUnknown204             = "handle-session-unknown-204"
	faultHandleSessionMissing404             = "handle-session-missing-404"
	faultHandleUpdateAnswers201              = "handle-update-answers-201"
	faultHandleCreateAnswers200              = "handle-create-answers-200"
	faultHandlePutIgnoresIfMatch             = "handle-put-ignores-if-match"
	faultHandlePutIgnoresIfNoneMatch         = "handle-put-ignores-if-none-match"
	faultHandlePutUnknown403                 = "handle-put-unknown-403"
	faultInviteGrantsReadOnly                = "invite-grants-read-only"
	faultClosedSessionWritableByInvite       = "closed-session-writable-by-invite"
	faultSessionCreateWithoutETag            = "session-create-without-etag"
	faultSessionUpdateKeepsChangeNumber      = "session-update-keeps-changenumber"
	faultSessionWithoutCorrelationID         = "session-without-correlation-id"
	faultIgnoreIfMatch                       = "ignore-if-match"
	faultIgnoreIfNoneMatch                   = "ignore-if-none-match"
	faultAcceptUnknownSessionMembers         = "accept-unknown-session-members"
	faultStoreEmptySession                   = "store-empty-session"
	faultSessionGetWeakETag                  = "session-get-weak-etag"
	faultMissingSession404                   = "missing-session-404"
	faultDeleteUnknownHandle204              = "delete-unknown-handle-204"
	faultHandlePutMalformedJSON500           = "handle-put-malformed-json-500"
	faultSessionPutUnknownTemplate400        = "session-put-unknown-template-400"
	faultSessionGetUnknownTemplate204        = "session-get-unknown-template-204"
	faultRejectJSONWithoutCharset            = "reject-json-without-charset"
	faultUnsupportedContentType415           = "unsupported-content-type-415"
	faultInviteDropsInvitedXuid              = "invite-drops-invited-xuid"
	faultClosedInviteAnswers200              = "closed-invite-answers-200"
	faultInviteRefusesFullSession            = "invite-refuses-full-session"
	faultInviteContextLimit255               = "invite-context-limit-255"
	faultActivityNameRequired400             = "activity-name-required-400"
	faultLeaveKeepsActivity                  = "leave-keeps-activity"
	faultTransferDropsLocation               = "transfer-drops-location"
	faultPrivateQueryWithoutXuidAllowed      = "private-query-without-xuid-allowed"
	faultFavoritesMonikerRejected            = "favorites-moniker-rejected"
	faultSearchQueryStrictFields             = "search-query-strict-fields"
	faultDeleteByOthers404                   = "delete-by-others-404"
	faultDeleteReturnsBody                   = "delete-returns-body"
	faultHandlePutLastLeave200               = "handle-put-last-leave-200"
	faultIfMatchAlwaysStale                  = "if-match-always-stale"
	faultRejectRoleTypes                     = "reject-roletypes"
	faultMeXuidMustMatchCaller               = "me-xuid-must-match-caller"
	faultNonOwnerInvite404                   = "nonowner-invite-404"
	faultSearchAnswers200                    = "search-answers-200"
)

// FaultInfo describes one fault switch.
type FaultInfo struct {
	// Name is the value to put in Config.Faults.
	Name string
	// Rule is the catalog rule ID the fault breaks.
	Rule string
	// Description says how the emulator misbehaves with the fault switched on.
	Description string
}

// faultCatalog describes every fault, in the order Faults lists them.
var faultCatalog = []FaultInfo{
	{Name: faultSkipContractVersionCheck, Rule: "HDR-CV-INVALID-4XX", Description: "requests without an X-Xbl-Contract-Version header, or with an unsupported or non-numeric value, are accepted (as contract 107) instead of answering 400"},
	{Name: faultContractVersionError406, Rule: "HDR-CV-INVALID-400", Description: "a missing, non-numeric or unsupported X-Xbl-Contract-Version is answered 406 Not Acceptable instead of 400"},
	{Name: faultRejectContractVersion104, Rule: "HDR-CV-ACCEPTED", Description: "X-Xbl-Contract-Version 104 is rejected with 400 as unsupported; only 105 and 107 are accepted"},
	{Name: faultJSONServedAsTextPlain, Rule: "HDR-JSON-CONTENT-TYPE", Description: "JSON response bodies (sessions, handles, query results) are declared as text/plain; charset=utf-8 instead of application/json"},
	{Name: faultEmpty403Body, Rule: "HDR-ERROR-TEXT-PLAIN", Description: "403 responses are sent without a body or Content-Type instead of a text/plain message"},
	{Name: faultCaseSensitivePathLiterals, Rule: "HDR-SESSIONTEMPLATES-CASE", Description: "path literals are matched case-sensitively against their documented spelling, so /sessiontemplates/ answers 404"},
	{Name: faultAcceptMissingAuthorization, Rule: "AUTH-MISSING-401", Description: "a request without an Authorization header is served as an anonymous caller instead of answering 401"},
	{Name: faultMalformedAuthorization400, Rule: "AUTH-MALFORMED-401", Description: "an Authorization header that is not of the form 'XBL3.0 x=<userhash>;<token>' is answered 400 instead of 401"},
	{Name: faultAcceptForgedToken, Rule: "AUTH-FORGED-401", Description: "a token whose signature does not verify is accepted when its claims can still be decoded"},
	{Name: faultActivityAnswers200, Rule: "HC-ACTIVITY-201", Description: "a created activity handle is answered 200 OK instead of 201 Created"},
	{Name: faultDropHandleContentLocation, Rule: "HC-ACTIVITY-LOCATION", Description: "a created activity handle is answered without its Content-Location header"},
	{Name: faultActivityWithoutCreateTime, Rule: "HC-ACTIVITY-BODY", Description: "activity handle documents are created without createTime"},
	{Name: faultActivitySkipsMembershipCheck, Rule: "HC-ACTIVITY-NONMEMBER-4XX", Description: "an activity handle is created for any session, also one the caller is not a member of or that does not exist"},
	{Name: faultActivityNonMember404, Rule: "HC-ACTIVITY-NONMEMBER-403", Description: "an activity for a session the caller is not a member of (or that does not exist) is answered 404 instead of 403"},
	{Name: faultSkipActivityReplacement, Rule: "HC-ACTIVITY-REPLACE-SESSION", Description: "a new activity handle does not replace the caller's previous activity handles, so the old ids stay readable"},
	{Name: faultActivityReplacementPerSession, Rule: "HC-ACTIVITY-REPLACE-TITLE", Description: "a new activity replaces the caller's previous activity only in the same session, not across the SCID and title"},
	{Name: faultNoChangeNumberBump, Rule: "HC-CHANGENUMBER-BUMP", Description: "creating a handle leaves its session's changeNumber and ETag unchanged"},
	{Name: faultInviteWithoutExpiration, Rule: "HC-INVITE-201", Description: "invite handle documents are created without expiration"},
	{Name: faultAcceptLongInviteContext, Rule: "HC-INVITE-INVALID-4XX", Description: "an invite whose inviteAttributes.context is longer than 256 characters once URI-encoded is accepted"},
	{Name: faultInvalidInvite422, Rule: "HC-INVITE-INVALID-400", Description: "invalid invite fields (invitedXuid, inviteAttributes) are answered 422 instead of 400"},
	{Name: faultInviteRefusesClosedSession, Rule: "HC-INVITE-CLOSED-2XX", Description: "an invite for a session whose properties.system.closed is true is refused with 403"},
	{Name: faultInviteIgnoresOwners, Rule: "HC-INVITE-NONOWNER-4XX", Description: "any member may send invites on a hasOwners session, whatever ownershipPolicies.allowNonOwnerInviteHandles says"},
	{Name: faultMalformedJSON500, Rule: "HC-INVALID-BODY-400", Description: "POST /handles with a body that is not valid JSON is answered 500 instead of 400"},
	{Name: faultTransferDropsOrigin, Rule: "HC-TRANSFER-201", Description: "transfer handle documents are returned without the request's originSessionRef"},
	{Name: faultTransferOriginOptional, Rule: "HC-TRANSFER-NO-ORIGIN-400", Description: "a transfer handle without originSessionRef is accepted"},
	{Name: faultSearchDropsAttributes, Rule: "HC-SEARCH-2XX", Description: "search handle documents are returned without the request's searchAttributes"},
	{Name: faultHandlesSkipTemplateCheck, Rule: "HC-UNKNOWN-TEMPLATE-404", Description: "POST /handles does not check that the sessionRef's template exists, so an unknown template is not answered 404"},
	{Name: faultDuplicateQueryResults, Rule: "HQ-RESPONSE-200", Description: "POST /handles/query lists every matching handle twice"},
	{Name: faultOwnersXuidsSkipCaller, Rule: "HQ-OWNERS-XUIDS", Description: "an owners.xuids query never returns the caller's own activity handles"},
	{Name: faultPeopleQueryReturnsSelf, Rule: "HQ-OWNERS-PEOPLE", Description: "an owners.people query returns the monikerXuid's own activities instead of those of the people it follows"},
	{Name: faultQueryIgnoresOwners, Rule: "HQ-ONLY-REQUESTED", Description: "an activity query returns the activity handles of every owner in the SCID, not only the requested owners"},
	{Name: faultClampTakeTo100, Rule: "HQ-TAKE-OUT-OF-RANGE-4XX", Description: "a take above 100 is silently clamped to 100 instead of being rejected"},
	{Name: faultNonNumericTakeIgnored, Rule: "HQ-TAKE-INVALID-400", Description: "a take that is not a number (abc, 1.5) is ignored and the default of 100 used instead of answering 400"},
	{Name: faultTake100Rejected, Rule: "HQ-TAKE-BOUNDS", Description: "take must be below 100 (off by one), so take=100 is answered 400"},
	{Name: faultTakePlusOne, Rule: "HQ-TAKE-LIMITS", Description: "a query with take=N returns up to N+1 results"},
	{Name: faultTakeZeroMeansDefault, Rule: "HQ-TAKE-ZERO-EMPTY", Description: "a query with take=0 is treated as no take parameter and returns up to 100 results"},
	{Name: faultPrivateVisibilityWithoutPrivateFlag, Rule: "HQ-VISIBILITY-PRIVATE-4XX", Description: "visibility=private is accepted without private=true"},
	{Name: faultPrivateVisibility403, Rule: "HQ-VISIBILITY-PRIVATE-400", Description: "visibility=private without private=true is answered 403 instead of 400"},
	{Name: faultVersionLimitIgnored, Rule: "HQ-VERSION-MAX-4XX", Description: "the version query parameter is not limited to the contract version mod 100"},
	{Name: faultVersionAboveLimit406, Rule: "HQ-VERSION-MAX-400", Description: "a version query parameter above the contract version mod 100 is answered 406 instead of 400"},
	{Name: faultLenientBooleanParameters, Rule: "HQ-BOOLEAN-400", Description: "private, reservations and inactive are parsed leniently (1, t, TRUE, 0, f are accepted) instead of only true and false"},
	{Name: faultAllowPrivateQueryForUsers, Rule: "HQ-PRIVATE-403", Description: "POST /handles/query with private=true or reservations=true and a xuid parameter naming another user is allowed for any user, not only for server principals or the user named by the xuid parameter"},
	{Name: faultPrivateQueryServerOnly, Rule: "HQ-PRIVATE-OWN-XUID", Description: "private=true and reservations=true are allowed only to server principals, also when a user names their own xuid"},
	{Name: faultPrivateQueryForbidsServers, Rule: "HQ-PRIVATE-SERVER", Description: "private=true and reservations=true need the caller's own xuid in the xuid parameter, so server principals are answered 403"},
	{Name: faultRelatedInfoOmitsFalseClosed, Rule: "HQ-INCLUDE-RELATEDINFO", Description: "relatedInfo leaves out closed when the session is not closed"},
	{Name: faultCustomPropertiesFromConstants, Rule: "HQ-INCLUDE-CUSTOMPROPERTIES", Description: "include=customProperties returns the session's constants.custom instead of its properties.custom"},
	{Name: faultAlwaysIncludeRelatedInfo, Rule: "HQ-NO-INCLUDE", Description: "query results carry relatedInfo also without include=relatedInfo"},
	{Name: faultAcceptBothOwnerForms, Rule: "HQ-INVALID-BODY-400", Description: "a query body whose owners holds both people and xuids is accepted (people wins) instead of answering 400"},
	{Name: faultIncludeSingleItemOnly, Rule: "HQ-PARAMS-ACCEPTED", Description: "the include parameter is not split on commas, so a list such as relatedInfo,customProperties is answered 400"},
	{Name: faultKeywordFilterIgnored, Rule: "HQ-KEYWORD-FILTER", Description: "the keyword query parameter is validated but not applied to the results"},
	{Name: faultEmptyKeywordIgnored, Rule: "HQ-KEYWORD-EMPTY-400", Description: "an empty keyword parameter is treated as absent instead of answering 400"},
	{Name: faultXuidFilterIgnored, Rule: "HQ-XUID-FILTER", Description: "the xuid query parameter is validated but does not narrow the results to sessions the user is in"},
	{Name: faultXuidOverflowAccepted, Rule: "HQ-XUID-INVALID-400", Description: "the xuid query parameter is checked for digits only, so values beyond 64 bits are accepted"},
	{Name: faultIgnoreReservationsParameter, Rule: "HQ-RESERVATIONS-FILTER", Description: "reservations=true is accepted but sessions where the xuid is only reserved are never returned"},
	{Name: faultIgnoreInactiveParameter, Rule: "HQ-INACTIVE-FILTER", Description: "inactive=true is accepted but sessions where the xuid is an inactive member are never returned"},
	{Name: faultPrivateSessionsAlwaysListed, Rule: "HQ-PRIVATE-FILTER", Description: "activity handles of private sessions are returned also without private=true"},
	{Name: faultVisibilityFilterIgnored, Rule: "HQ-VISIBILITY-FILTER", Description: "the visibility query parameter is validated but not applied to the results"},
	{Name: faultUnknownVisibilityIgnored, Rule: "HQ-VISIBILITY-INVALID-400", Description: "an unknown visibility value is treated as absent instead of answering 400"},
	{Name: faultVersionFilterExclusive, Rule: "HQ-VERSION-FILTER", Description: "version=N returns only sessions whose constants.system.version is below N (off by one)"},
	{Name: faultNegativeVersionAccepted, Rule: "HQ-VERSION-NEGATIVE-400", Description: "a negative version query parameter is accepted"},
	{Name: faultUnknownIncludeIgnored, Rule: "HQ-INCLUDE-UNKNOWN-400", Description: "unknown items of the include list are skipped instead of answering 400"},
	{Name: faultSearchQueryAppliesOwnerFilter, Rule: "HQ-SEARCH-QUERY", Description: "search queries are filtered by the (absent) owners like activity queries, so they never return a search handle"},
	{Name: faultHandleGetTextPlain, Rule: "HG-200-JSON", Description: "GET /handles/{id} declares its JSON handle document as text/plain"},
	{Name: faultHandleGetLowercasesSessionRef, Rule: "HG-HANDLE-BODY", Description: "GET /handles/{id} returns the sessionRef in the lower-cased form the handle is indexed by, not as POST /handles returned it"},
	{Name: faultNonGUIDHandleID400, Rule: "HG-UNKNOWN-404", Description: "GET /handles/{id} with an id that is not a GUID is answered 400 instead of 404"},
	{Name: faultForgetToDeleteHandle, Rule: "HD-2XX", Description: "DELETE /handles/{id} answers 204 but leaves the handle in place"},
	{Name: faultDeleteAnswers200, Rule: "HD-204", Description: "DELETE /handles/{id} answers 200 with an empty body instead of 204"},
	{Name: faultDeleteIgnoresOwner, Rule: "HD-OTHER-USER-4XX", Description: "any user may delete any handle"},
	{Name: faultHandleSessionReturnsHandle, Rule: "HSG-200", Description: "GET /handles/{id}/session returns the handle document instead of its session"},
	{Name: faultHandleSessionDropsContentLocation, Rule: "HSG-CONTENT-LOCATION", Description: "GET /handles/{id}/session answers without Content-Location"},
	{Name: faultHandleSessionDropsETag, Rule: "HSG-ETAG", Description: "GET /handles/{id}/session answers without the session's ETag"},
	{Name: faultHandleSessionUnknown204, Rule: "HSG-UNKNOWN-404", Description: "GET /handles/{id}/session for an unknown handle answers 204 as if the session were missing"},
	{Name: faultHandleSessionMissing404, Rule: "HSG-NO-SESSION-204", Description: "GET /handles/{id}/session answers 404 when the handle's session does not exist"},
	{Name: faultHandleUpdateAnswers201, Rule: "HSP-UPDATE-200", Description: "PUT /handles/{id}/session answers 201 also when it updates an existing session"},
	{Name: faultHandleCreateAnswers200, Rule: "HSP-CREATE-201", Description: "PUT /handles/{id}/session answers 200 also when it creates the session"},
	{Name: faultHandlePutIgnoresIfMatch, Rule: "HSP-IF-MATCH-412", Description: "PUT /handles/{id}/session ignores If-Match"},
	{Name: faultHandlePutIgnoresIfNoneMatch, Rule: "HSP-IF-NONE-MATCH-412", Description: "PUT /handles/{id}/session ignores If-None-Match"},
	{Name: faultHandlePutUnknown403, Rule: "HSP-UNKNOWN-404", Description: "PUT /handles/{id}/session for an unknown handle answers 403 instead of 404"},
	{Name: faultInviteGrantsReadOnly, Rule: "HSP-INVITE-JOIN", Description: "an invite handle grants read-only access, so its invitee cannot join even an open session through it"},
	{Name: faultClosedSessionWritableByInvite, Rule: "HSP-INVITE-CLOSED-403", Description: "an invite handle grants write access also to a closed session"},
	{Name: faultSessionCreateWithoutETag, Rule: "SP-CREATE-201", Description: "a session PUT that creates the session answers without an ETag"},
	{Name: faultSessionUpdateKeepsChangeNumber, Rule: "SP-UPDATE-200", Description: "a session update does not increase changeNumber, so the ETag does not change either"},
	{Name: faultSessionWithoutCorrelationID, Rule: "SP-DOCUMENT", Description: "session documents are rendered without correlationId"},
	{Name: faultIgnoreIfMatch, Rule: "SP-IF-MATCH-412", Description: "a session PUT by path ignores If-Match"},
	{Name: faultIgnoreIfNoneMatch, Rule: "SP-IF-NONE-MATCH-412", Description: "a session PUT by path ignores If-None-Match"},
	{Name: faultAcceptUnknownSessionMembers, Rule: "SP-UNKNOWN-MEMBER-400", Description: "top-level members of a session PUT other than constants, properties, members, servers and roleTypes are ignored instead of answering 400"},
	{Name: faultStoreEmptySession, Rule: "SP-EMPTY-204", Description: "a session PUT that creates a session without members stores it and answers 201"},
	{Name: faultSessionGetWeakETag, Rule: "SG-200", Description: "GET of a session by path returns its ETag marked weak (W/\"...\"), not the ETag of its last write"},
	{Name: faultMissingSession404, Rule: "SG-MISSING-204", Description: "GET of a session that does not exist answers 404 instead of 204"},
	{Name: faultDeleteUnknownHandle204, Rule: "HD-UNKNOWN-404", Description: "DELETE /handles/{id} of an unknown or non-GUID id answers 204 (idempotent delete) instead of 404"},
	{Name: faultHandlePutMalformedJSON500, Rule: "HSP-INVALID-BODY-400", Description: "PUT /handles/{id}/session with a body that is not valid JSON is answered 500 instead of 400"},
	{Name: faultSessionPutUnknownTemplate400, Rule: "SP-UNKNOWN-TEMPLATE-404", Description: "a session PUT under a template the SCID does not define is answered 400 instead of 404"},
	{Name: faultSessionGetUnknownTemplate204, Rule: "SG-UNKNOWN-TEMPLATE-404", Description: "a session GET under a template the SCID does not define answers 204 as for a missing session"},
	{Name: faultRejectJSONWithoutCharset, Rule: "HDR-REQUEST-JSON", Description: "request bodies must be declared exactly as application/json; charset=utf-8, so plain application/json is answered 400"},
	{Name: faultUnsupportedContentType415, Rule: "HDR-REQUEST-NOT-JSON-400", Description: "a request body declared with a Content-Type other than application/json is answered 415 instead of 400"},
	{Name: faultInviteDropsInvitedXuid, Rule: "HC-INVITE-2XX", Description: "a created invite handle's document lacks invitedXuid"},
	{Name: faultClosedInviteAnswers200, Rule: "HC-INVITE-CLOSED-201", Description: "an invite for a closed session is created but answered 200 instead of 201"},
	{Name: faultInviteRefusesFullSession, Rule: "HC-INVITE-FULL-2XX", Description: "an invite for a session that has maxMembersCount members is refused with 403"},
	{Name: faultInviteContextLimit255, Rule: "HC-INVITE-CONTEXT-256", Description: "an invite whose inviteAttributes.context is exactly 256 characters once URI-encoded is rejected with 400 (off by one: the limit is taken as 255)"},
	{Name: faultActivityNameRequired400, Rule: "HC-ACTIVITY-NAME-OPTIONAL", Description: "POST /handles with a sessionRef without name is answered 400 instead of filling in a name"},
	{Name: faultLeaveKeepsActivity, Rule: "HC-ACTIVITY-LEAVE-REMOVES", Description: "neither leaving a session nor becoming inactive deletes the member's bound activity handle (nor does the deletion of the emptied session)"},
	{Name: faultTransferDropsLocation, Rule: "HC-TRANSFER-LOCATION", Description: "a created transfer handle is answered 201 without Location and Content-Location"},
	{Name: faultPrivateQueryWithoutXuidAllowed, Rule: "HQ-PRIVATE-NO-XUID-403", Description: "POST /handles/query with private=true or reservations=true and no xuid parameter is allowed for any user"},
	{Name: faultFavoritesMonikerRejected, Rule: "HQ-OWNERS-FAVORITES", Description: "an owners.people query with moniker favorites is answered 400; only people is accepted"},
	{Name: faultSearchQueryStrictFields, Rule: "HQ-SEARCH-QUERY-FIELDS", Description: "a search query carrying communicatePermissionRequired or includeScheduled, or whose templateName is written global(NAME), is answered 400 (filter and orderBy, which XSAPI sends, stay accepted)"},
	{Name: faultDeleteByOthers404, Rule: "HD-OTHER-USER-403", Description: "DELETE /handles/{id} of another user's handle by a user is answered 404 instead of 403 (the handle is kept)"},
	{Name: faultDeleteReturnsBody, Rule: "HD-NO-BODY", Description: "a successful DELETE /handles/{id} answers 200 with the deleted handle document as its body"},
	{Name: faultHandlePutLastLeave200, Rule: "HSP-EMPTY-204", Description: "PUT /handles/{id}/session by which the last member leaves deletes the session but answers 200 with the emptied session instead of 204"},
	{Name: faultIfMatchAlwaysStale, Rule: "SP-IF-MATCH-CURRENT", Description: "a session PUT by path with any If-Match header, even the current ETag or *, is answered 412"},
	{Name: faultRejectRoleTypes, Rule: "SP-ROLETYPES-ACCEPTED", Description: "a session PUT with a top-level roleTypes object is answered 400 as an unknown member"},
	{Name: faultMeXuidMustMatchCaller, Rule: "SP-ME-OTHER-XUID", Description: "a session PUT whose members.me names another user's constants.system.xuid is answered 400"},
	{Name: faultNonOwnerInvite404, Rule: "HC-INVITE-NONOWNER-403", Description: "an invite by a member who is not an owner of a hasOwners session is refused with 404 instead of 403"},
	{Name: faultSearchAnswers200, Rule: "HC-SEARCH-201", Description: "a created search handle is answered 200 OK instead of 201 Created"},
}

// Faults lists the fault switches the emulator supports, with the rule each one breaks.
func Faults() []FaultInfo {
	return append([]FaultInfo(nil), faultCatalog...)
}

// fault reports whether the named fault is switched on.
func (e *Emulator) fault(name string) bool { return e.faults[name] }

// knownFault reports whether name is a fault of the catalog.
func knownFault(name string) bool { return slices.Contains(faultNames(), name) }

// faultNames lists the fault names in catalog order.
func faultNames() []string {
	return catalogNames(faultCatalog, func(f FaultInfo) string { return f.Name })
}

// catalogNames lists the name of every entry of a catalog (faults or variants), in order.
func catalogNames[T any](catalog []T, name func(T) string) []string {
	names := make([]string, len(catalog))
	for i, entry := range catalog {
		names[i] = name(entry)
	}
	return names
}
