// variants.go holds the variant switches: their names, the catalog (VariantInfo: why the
// contract allows each) and the lookup the decision points use.

package emulator

import "slices"

// Variants are the dual of faults: switches that make the emulator behave in another way the
// contract ALLOWS (Config.Variants). The reference behaviour is one reading of a thin contract;
// a variant is another reading a real MPSD may equally implement (a different 2xx, an absolute
// Location, extra response fields, ...). A conformance run with the documented profile (doc and
// wire rules) must pass against the emulator with any variant switched on; inferred rules may
// fail, which is what they are for.
//
// Variants, like faults, are never tested inline in the handlers: each one changes the answer
// of a named decision point (see the decisions_*.go files), which says what the default is and which
// variants and faults change it.

// Variant switch names.
const (
	variantInviteAnswers200        = "invite-answers-200"
	variantDeleteAnswers200        = "delete-answers-200"
	variantDeleteOthers404         = "delete-others-404"
	variantNonMemberActivity404    = "nonmember-activity-404"
	variantContractVersion406      = "contract-version-406"
	variantInviteMinimalBody       = "invite-minimal-body"
	variantHandleGetReturnsSession = "handle-get-returns-session"
	variantExtraFields             = "extra-fields"
	variantAbsoluteLocations       = "absolute-locations"
	variantJSONCharset             = "json-charset"
	variantErrorCharset            = "error-charset"
	variantGzip                    = "gzip"
	variantReverseResultOrder      = "reverse-result-order"
	variantTakeZeroUnlimited       = "take-zero-unlimited"
	variantQueryFiltersIgnored     = "query-filters-ignored"
	variantOwnQueryWithoutXuid     = "own-query-without-xuid"
	variantInactiveNeedsXuid       = "inactive-needs-xuid"
	variantVersionMajor            = "version-major"
	variantUpgradeContract107      = "upgrade-contract-107"
	variantLowercaseSessionLiteral = "lowercase-session-literal"
	variantInviteRequiresSession   = "invite-requires-session"
	variantSearchAnswers200        = "search-answers-200"
	variantNonOwnerInvite404       = "nonowner-invite-404"
)

// Aspects a variant changes (VariantInfo.Aspect).
const (
	AspectStatusCode      = "status code"
	AspectOptionalFields  = "optional fields"
	AspectHeaderForm      = "header form"
	AspectQueryParameters = "query parameters"
	AspectErrorForm       = "error form"
	AspectContractVersion = "contract version"
	AspectHTTPSemantics   = "http semantics"
)

// VariantInfo describes one variant switch.
type VariantInfo struct {
	// Name is the value to put in Config.Variants.
	Name string
	// Description says how the emulator behaves with the variant switched on.
	Description string
	// Source says why the contract allows the behaviour: the public page or client behaviour
	// that leaves room for it.
	Source string
	// Aspect is the kind of behaviour the variant changes: one of the Aspect* constants.
	Aspect string
	// ContractVersion, when not 0, is the X-Xbl-Contract-Version a client must send for the
	// variant to show at all (a run with another version would not exercise it).
	ContractVersion int
}

// variantCatalog describes every variant, in the order Variants lists them.
var variantCatalog = []VariantInfo{
	{
		Name:        variantInviteAnswers200,
		Aspect:      AspectStatusCode,
		Description: "a created invite handle is answered 200 OK instead of 201 Created (same body and headers)",
		Source:      "api-ref/xbox-live-rest/uri/sessiondirectory/uri-handlespost.md gives no status code for invites and no invite response was ever captured; the official client (XSAPI multiplayer_service.cpp, SendInvites) accepts any 2xx and reads only the handle id",
	},
	{
		Name:        variantDeleteAnswers200,
		Aspect:      AspectStatusCode,
		Description: "a successful DELETE /handles/{id} is answered 200 OK with an empty body instead of 204 No Content",
		Source:      "api-ref/xbox-live-rest/uri/sessiondirectory/uri-handleshandleiddelete.md names no status code, only that there is no response body; XSAPI multiplayer_service.cpp (ClearActivity, DeleteSearchHandle) treats any 2xx as success",
	},
	{
		Name:        variantDeleteOthers404,
		Aspect:      AspectStatusCode,
		Description: "DELETE /handles/{id} of another user's handle by a user is answered 404 (text/plain) instead of 403; the handle is kept",
		Source:      "features/multiplayer/mpsd/live-mpsd-overview.md says only the owning title may delete a user's activity but names no status; a service may hide handles a caller cannot touch behind 404",
	},
	{
		Name:        variantNonMemberActivity404,
		Aspect:      AspectStatusCode,
		Description: "an activity handle for a session the caller is not a member of, or that does not exist, is answered 404 instead of 403",
		Source:      "uri-handlespost.md names no error status; captured traffic shows the service checks session access (\"in-session\") for activities, and the client only sees a 4xx failure",
	},
	{
		Name:        variantContractVersion406,
		Aspect:      AspectContractVersion,
		Description: "a missing, non-numeric or unsupported (below 104) X-Xbl-Contract-Version is answered 406 Not Acceptable (text/plain) instead of 400",
		Source:      "the uri-handles*.md pages require X-Xbl-Contract-Version 104/105 or later without naming the refusal; the generic status table api-ref/xbox-live-rest/additional/httpstatuscodes.md lists 406 for an unsupported resource version",
	},
	{
		Name:        variantInviteMinimalBody,
		Aspect:      AspectOptionalFields,
		Description: "a created invite handle's document holds only id, version, type, sessionRef, invitedXuid and inviteAttributes (no senderXuid, expiration or createTime)",
		Source:      "uri-handlespost.md says the response is an invite handle but never shows one; XSAPI multiplayer_service.cpp reads only the id of an invite response; senderXuid and expiration appear only in a client unit-test mock (Multiplayer.json)",
	},
	{
		Name:        variantHandleGetReturnsSession,
		Aspect:      AspectHTTPSemantics,
		Description: "GET /handles/{id} returns the handle's session document (200, application/json, with ETag) as GET /handles/{id}/session does; when the session does not exist it returns the handle document",
		Source:      "api-ref/xbox-live-rest/uri/sessiondirectory/uri-handleshandleidget.md says GET /handles/{handleId} returns the session object (MultiplayerSession); the official client never calls it",
	},
	{
		Name:        variantExtraFields,
		Aspect:      AspectOptionalFields,
		Description: "every JSON response object (handle and session documents, the query response and each result, relatedInfo) carries extra fields the pages do not list: \"extension\":{\"note\":...} and, in the query response, \"continuationToken\":\"\"",
		Source:      "the service adds fields over time (relatedInfo.sessionOwners, customProperties and roleTypes postdate the REST pages); the official client's parsers (XSAPI xsapi_json_utils.cpp) skip unknown members",
	},
	{
		Name:        variantAbsoluteLocations,
		Aspect:      AspectHeaderForm,
		Description: "the Location and Content-Location headers of a created handle are absolute URLs (scheme and host of the request) of /handles/{id}; session Content-Location headers stay paths, as the official client needs",
		Source:      "HTTP (RFC 9110 sections 10.2.2 and 8.7) lets Location and Content-Location be an absolute URI as well as a path, and the MPSD pages do not document these headers; the official client ignores them on handle creation (XSAPI multiplayer_service.cpp reads only the status and the id)",
	},
	{
		Name:        variantJSONCharset,
		Aspect:      AspectHeaderForm,
		Description: "JSON responses declare Content-Type: application/json; charset=utf-8",
		Source:      "the pages only say application/json; JSON is UTF-8 by definition (RFC 8259) and the official client itself sends application/json; charset=utf-8 (XSAPI http_call_wrapper_internal.cpp)",
	},
	{
		Name:        variantErrorCharset,
		Aspect:      AspectErrorForm,
		Description: "error responses declare text/plain; charset=utf-8 and word their messages differently (prefixed \"MPSD: \")",
		Source:      "features/multiplayer/mpsd/how-to/live-mpsd-status-codes.md says error bodies are text/plain but fixes no wording; the official client never parses them",
	},
	{
		Name:        variantGzip,
		Aspect:      AspectHTTPSemantics,
		Description: "when the request's Accept-Encoding includes gzip, response bodies are gzip-compressed with Content-Encoding: gzip and Vary: Accept-Encoding",
		Source:      "HTTP content coding (RFC 9110 section 8.4) is negotiated by Accept-Encoding; the official client's HTTP layer (libHttpClient) and Go's client accept gzip and decompress it transparently",
	},
	{
		Name:        variantReverseResultOrder,
		Aspect:      AspectQueryParameters,
		Description: "POST /handles/query returns its results newest first instead of oldest first",
		Source:      "api-ref/xbox-live-rest/uri/sessiondirectory/uri-handlesquerypost.md defines no result order; XSAPI multiplayer_service.cpp copies the results array as it comes",
	},
	{
		Name:        variantTakeZeroUnlimited,
		Aspect:      AspectQueryParameters,
		Description: "take=0 means no limit (up to 100 results) instead of no results",
		Source:      "uri-handlesquerypost.md only bounds take to 0..100; the official client omits take when it is 0 (XSAPI multiplayer_service.cpp), treating 0 as \"no limit\"",
	},
	{
		Name:        variantQueryFiltersIgnored,
		Aspect:      AspectQueryParameters,
		Description: "keyword, xuid, reservations, inactive, private, visibility and version do not filter handle query results; they are still validated (400) and the private/reservations 403 rule still applies; results are still the requested owners' activity handles of the SCID",
		Source:      "the query-string table of uri-handlesquerypost.md is copied from the session-query pages (it speaks of sessions and templates); nothing shows that handle queries apply these filters",
	},
	{
		Name:        variantOwnQueryWithoutXuid,
		Aspect:      AspectQueryParameters,
		Description: "private=true or reservations=true without a xuid parameter is allowed (not 403) for a user whose body is owners.xuids exactly [the caller's XUID]",
		Source:      "uri-handlesquerypost.md refuses private/reservations queries unless the caller has server access or is the user named by the xuid filter; it is silent about a query without xuid, which a service may read as the caller's own",
	},
	{
		Name:        variantInactiveNeedsXuid,
		Aspect:      AspectQueryParameters,
		Description: "inactive=true or reservations=true without a xuid parameter is answered 400",
		Source:      "the query table comes from the session-query pages, and session queries reject inactive/reservations without a xuid filter (the official client enforces it too: XSAPI multiplayer_service.cpp, QuerySessions)",
	},
	{
		Name:        variantVersionMajor,
		Aspect:      AspectContractVersion,
		Description: "the version query parameter may be at most the contract version div 100 (1 for 107) instead of mod 100 (7); above it is answered 400",
		Source:      "uri-handlesquerypost.md says version must be at most the contract version mod 100, but features/multiplayer/mpsd/concepts/live-mpsd-details.md encodes contract versions as 100*major+minor with the session version as the major part",
	},
	{
		Name:            variantUpgradeContract107,
		Aspect:          AspectContractVersion,
		ContractVersion: 105,
		Description:     "session documents report contractVersion 107 (and the 107 document shape) for requests made with contract 105",
		Source:          "features/multiplayer/mpsd/concepts/live-session-templates.md: templates upgrade contract 105 requests to 107; json-multiplayersession.md says contractVersion depends on the request and the template",
	},
	{
		Name:        variantLowercaseSessionLiteral,
		Aspect:      AspectHeaderForm,
		Description: "session Content-Location headers write the path literal as /sessiontemplates/ (lower case)",
		Source:      "the REST pages write the session URI with lower-case sessiontemplates, and the official client emits that form (XSAPI multiplayer_session_reference.cpp, XblMultiplayerSessionReferenceToUriPath) and matches the literal case-insensitively",
	},
	{
		Name:        variantInviteRequiresSession,
		Aspect:      AspectHTTPSemantics,
		Description: "an invite handle for a session that does not exist is answered 404 (text/plain); invites for existing sessions are unaffected",
		Source:      "uri-handlespost.md does not say whether an invite may point at a session that does not exist yet, and features/multiplayer/mpsd/live-mpsd-overview.md only says a handle does not create its session",
	},
	{
		Name:        variantSearchAnswers200,
		Aspect:      AspectStatusCode,
		Description: "a created search handle is answered 200 OK instead of 201 Created (same body and headers)",
		Source:      "no page documents search handles and no search-handle creation was captured; the official client (XSAPI multiplayer_service.cpp, CreateSearchHandle) accepts any 2xx and parses the body as a search handle",
	},
	{
		Name:        variantNonOwnerInvite404,
		Aspect:      AspectStatusCode,
		Description: "an invite by a member who is not an owner of a hasOwners session (without allowNonOwnerInviteHandles) is refused with 404 instead of 403",
		Source:      "features/multiplayer/mpsd/concepts/live-session-template-constants.md (ownershipPolicies) says non-owners cannot create invite handles but names no status code",
	},
}

// Variants lists the variant switches the emulator supports, with why the contract allows each.
func Variants() []VariantInfo {
	return append([]VariantInfo(nil), variantCatalog...)
}

// variant reports whether the named variant is switched on.
func (e *Emulator) variant(name string) bool { return e.variants[name] }

// knownVariant reports whether name is a variant of the catalog.
func knownVariant(name string) bool { return slices.Contains(variantNames(), name) }

// variantNames lists the variant names in catalog order.
func variantNames() []string {
	return catalogNames(variantCatalog, func(v VariantInfo) string { return v.Name })
}
