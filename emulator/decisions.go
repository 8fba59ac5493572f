package emulator

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strings"

	"github.com/google/uuid"

	"github.com/mpsdconf/mpsdconf/fixtures"
)

// Decision points. The reference logic in handles.go, query.go and sessions.go asks these
// small methods wherever the contract leaves a choice (a variant may answer differently) or a
// fault breaks a rule. Each says what the reference behaviour is and which variants and
// faults change it, so the handlers read as the reference implementation.

// ---------------------------------------------------------------------------------------
// Every response.

// contractVersionErrorStatus is the status of a missing, non-numeric or unsupported
// X-Xbl-Contract-Version: 400; 406 with the contract-version-406 variant or the
// contract-version-error-406 fault.
func (e *Emulator) contractVersionErrorStatus() int {
	if e.variant(variantContractVersion406) || e.fault(faultContractVersionError406) {
		return http.StatusNotAcceptable
	}
	return http.StatusBadRequest
}

// jsonContentType is the Content-Type of JSON bodies: application/json; with the
// json-charset variant application/json; charset=utf-8.
func (e *Emulator) jsonContentType() string {
	if e.variant(variantJSONCharset) {
		return contentTypeJSON + "; charset=utf-8"
	}
	return contentTypeJSON
}

// errorMessage is the wording of a text/plain error message: msg itself; with the
// error-charset variant prefixed "MPSD: ".
func (e *Emulator) errorMessage(msg string) string {
	if e.variant(variantErrorCharset) {
		return "MPSD: " + msg
	}
	return msg
}

// compresses reports whether the response body to r is gzip-compressed: never; with the gzip
// variant when the request's Accept-Encoding lists gzip.
func (e *Emulator) compresses(r *http.Request) bool {
	if !e.variant(variantGzip) {
		return false
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") && strings.ReplaceAll(strings.TrimSpace(params), " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// locationFor is the value of a Location or Content-Location header naming a created handle's
// path: the path itself; with the absolute-locations variant the absolute URL of path on the
// request's host.
func (e *Emulator) locationFor(r *http.Request, path string) string {
	if !e.variant(variantAbsoluteLocations) {
		return path
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + path
}

// sessionLocation is the Content-Location of session s: its path, with the sessionTemplates
// literal in lower case with the lowercase-session-literal variant. It stays a path under the
// absolute-locations variant: the official client splits it on / and fails on an absolute URL
// (HSG-CONTENT-LOCATION).
func (e *Emulator) sessionLocation(s *session) string {
	literal := "sessionTemplates"
	if e.variant(variantLowercaseSessionLiteral) {
		literal = "sessiontemplates"
	}
	return s.location(literal)
}

// extension is the extra member the extra-fields variant adds to every JSON response
// object; nil (no extra members) by default.
func (e *Emulator) extension() map[string]any {
	if !e.variant(variantExtraFields) {
		return nil
	}
	return map[string]any{"note": "emulator variant extra-fields"}
}

// extraHandleFields are the members appended to a handle document in a response: none; with
// the extra-fields variant "extension".
func (e *Emulator) extraHandleFields() []field {
	if ext := e.extension(); ext != nil {
		return []field{{"extension", ext}}
	}
	return nil
}

// handleJSON is handle h's document as a response body, with the extra fields of the
// extra-fields variant and the given members (relatedInfo, customProperties) appended.
func (e *Emulator) handleJSON(h *handle, extra ...field) (json.RawMessage, error) {
	return h.documentWith(append(extra, e.extraHandleFields()...)...)
}

// extend adds the extra-fields variant's members to a response object (a no-op by default).
func (e *Emulator) extend(doc map[string]any) map[string]any {
	if ext := e.extension(); ext != nil {
		doc["extension"] = ext
	}
	return doc
}

// documentContractVersion is the contract version a session document is rendered for: the
// request's; with the upgrade-contract-107 variant a 105 request gets a 107 document (as
// templates upgrade 105 writes to 107).
func (e *Emulator) documentContractVersion(cv int) int {
	if cv == 105 && e.variant(variantUpgradeContract107) {
		return 107
	}
	return cv
}

// ---------------------------------------------------------------------------------------
// POST /handles.

// fillsMissingSessionName reports whether a sessionRef without name gets a generated name (a
// new GUID), as the seed page says MPSD does; with the activity-name-required-400 fault the
// name is required (400).
func (e *Emulator) fillsMissingSessionName() bool {
	return !e.fault(faultActivityNameRequired400)
}

// generatedSessionName is the name MPSD fills into a sessionRef that has none.
func generatedSessionName() string { return uuid.NewString() }

// inviteContextLimit is the longest accepted inviteAttributes.context once URI-encoded: 256;
// 255 with the invite-context-limit-255 fault, unlimited with accept-long-invite-context.
func (e *Emulator) inviteContextLimit() int {
	switch {
	case e.fault(faultAcceptLongInviteContext):
		return math.MaxInt
	case e.fault(faultInviteContextLimit255):
		return maxInviteContext - 1
	}
	return maxInviteContext
}

// nonMemberActivityStatus is the refusal of an activity for a session the caller is not a
// member of (or that does not exist): 403; 404 with the nonmember-activity-404 variant or the
// activity-nonmember-404 fault.
func (e *Emulator) nonMemberActivityStatus() int {
	if e.variant(variantNonMemberActivity404) || e.fault(faultActivityNonMember404) {
		return http.StatusNotFound
	}
	return http.StatusForbidden
}

// inviteRefusal is the error for an invite that must not be created, or nil. Reference: on a
// hasOwners session only owners (or anyone with allowNonOwnerInviteHandles) may invite, 403;
// invites to full, closed or missing sessions are created. Variant invite-requires-session:
// a missing session is 404. Faults: invite-ignores-owners drops the owner rule,
// invite-refuses-closed-session and invite-refuses-full-session refuse closed and full
// sessions with 403.
func (e *Emulator) inviteRefusal(c *call, ref sessionRef, s *session) error {
	if s == nil {
		if e.variant(variantInviteRequiresSession) {
			return notFound("session %s does not exist; invites need an existing session", ref.name)
		}
		return nil
	}
	if s.hasOwners() && !c.isServer() && !s.allowNonOwnerInvites() && !s.isOwner(c.xuid()) && !e.fault(faultInviteIgnoresOwners) {
		return errorf(e.nonOwnerInviteStatus(), "only session owners may send invites (constants.system.ownershipPolicies.allowNonOwnerInviteHandles is not true)")
	}
	if s.closed() && e.fault(faultInviteRefusesClosedSession) {
		return forbidden("session %s is closed; no invites can be sent", ref.name)
	}
	if len(s.members) >= s.maxMembers() && e.fault(faultInviteRefusesFullSession) {
		return forbidden("session %s is full (maxMembersCount %d); no invites can be sent", ref.name, s.maxMembers())
	}
	return nil
}

// nonOwnerInviteStatus is the refusal of an invite by a member who is not an owner of a
// hasOwners session: 403; 404 with the nonowner-invite-404 variant or fault.
func (e *Emulator) nonOwnerInviteStatus() int {
	if e.variant(variantNonOwnerInvite404) || e.fault(faultNonOwnerInvite404) {
		return http.StatusNotFound
	}
	return http.StatusForbidden
}

// trimInviteDocument removes members from a created invite's document: none by default
// (id, version, type, sessionRef, invitedXuid, inviteAttributes, senderXuid, expiration,
// createTime). The invite-minimal-body variant keeps only the first six; the
// invite-without-expiration and invite-drops-invited-xuid faults drop one member each.
func (e *Emulator) trimInviteDocument(doc map[string]any) {
	if e.variant(variantInviteMinimalBody) {
		for k := range doc {
			switch k {
			case "id", "version", "type", "sessionRef", "invitedXuid", "inviteAttributes":
			default:
				delete(doc, k)
			}
		}
	}
	if e.fault(faultInviteWithoutExpiration) {
		delete(doc, "expiration")
	}
	if e.fault(faultInviteDropsInvitedXuid) {
		delete(doc, "invitedXuid")
	}
}

// handleCreatedStatus is the status of a created handle: 201. 200 for invites with the
// invite-answers-200 variant and for search handles with the search-answers-200 variant;
// faults: activity-answers-200 (activities), closed-invite-answers-200 (invites to a closed
// session) and search-answers-200 (search handles).
func (e *Emulator) handleCreatedStatus(h *handle, s *session) int {
	switch {
	case h.typ == handleActivity && e.fault(faultActivityAnswers200),
		h.typ == handleInvite && e.variant(variantInviteAnswers200),
		h.typ == handleSearch && (e.variant(variantSearchAnswers200) || e.fault(faultSearchAnswers200)),
		h.typ == handleInvite && s != nil && s.closed() && e.fault(faultClosedInviteAnswers200):
		return http.StatusOK
	}
	return http.StatusCreated
}

// createdHandleLocations are the Location and Content-Location of a created handle ("" leaves
// the header out): both /handles/{id} through locationFor. Faults: drop-handle-content-location
// drops an activity's Content-Location, transfer-drops-location drops both of a transfer.
func (e *Emulator) createdHandleLocations(c *call, h *handle) (location, contentLocation string) {
	loc := e.locationFor(c.r, "/handles/"+h.id)
	switch {
	case h.typ == handleTransfer && e.fault(faultTransferDropsLocation):
		return "", ""
	case h.typ == handleActivity && e.fault(faultDropHandleContentLocation):
		return loc, ""
	}
	return loc, loc
}

// ---------------------------------------------------------------------------------------
// GET and DELETE /handles/{id}.

// handleReadAsSession is the reply to GET /handles/{id} when it returns the handle's session
// instead of the handle document: never by default; with the handle-get-returns-session
// variant whenever the session exists and the caller may read it. Lock held.
func (e *Emulator) handleReadAsSession(c *call, h *handle) (reply, bool) {
	if !e.variant(variantHandleGetReturnsSession) {
		return reply{}, false
	}
	rp := e.readSession(c, h.ref, h)
	if rp.status != http.StatusOK && rp.status != http.StatusNotModified {
		return reply{}, false
	}
	return rp, true
}

// mayDelete reports whether the caller may delete h: its owner (for invites also the sender
// or the invitee) or a server principal; anyone with the delete-ignores-owner fault.
func (e *Emulator) mayDelete(c *call, h *handle) bool {
	x := c.xuid()
	allowed := c.isServer() || (x != "" && (h.creator == x || (h.typ == handleInvite && h.invited == x)))
	return allowed || e.fault(faultDeleteIgnoresOwner)
}

// deleteRefusal is the answer to a DELETE of someone else's handle (which is kept): 403; 404
// with the delete-others-404 variant or the delete-by-others-404 fault.
func (e *Emulator) deleteRefusal(h *handle) reply {
	if e.variant(variantDeleteOthers404) || e.fault(faultDeleteByOthers404) {
		return handleNotFound(h.id)
	}
	return errorReply(forbidden("only the handle's owner or a server principal may delete handle %s", h.id))
}

// deletedReply is the answer to a successful DELETE of h: 204 without a body. 200 without a
// body with the delete-answers-200 variant or fault; 200 with the deleted handle document with
// the delete-returns-body fault.
func (e *Emulator) deletedReply(h *handle) reply {
	switch {
	case e.fault(faultDeleteReturnsBody):
		return rawJSONReply(http.StatusOK, h.raw)
	case e.variant(variantDeleteAnswers200) || e.fault(faultDeleteAnswers200):
		return emptyReply(http.StatusOK)
	}
	return emptyReply(http.StatusNoContent)
}

// ---------------------------------------------------------------------------------------
// POST /handles/query.

// versionLimit is the largest accepted version query parameter for contract cv, and how the
// limit is derived (for messages): cv mod 100; cv div 100 with the version-major variant;
// unlimited with the version-limit-ignored fault.
func (e *Emulator) versionLimit(cv int) (int64, string) {
	switch {
	case e.fault(faultVersionLimitIgnored):
		return math.MaxInt64, "no limit"
	case e.variant(variantVersionMajor):
		return int64(cv / 100), fmt.Sprintf("the contract version %d div 100", cv)
	}
	return int64(cv % 100), fmt.Sprintf("the contract version %d mod 100", cv)
}

// xuidRequirement is the 400 for inactive=true or reservations=true without a xuid
// parameter: none by default; with the inactive-needs-xuid variant such a query is refused.
func (e *Emulator) xuidRequirement(q *queryParams) error {
	if e.variant(variantInactiveNeedsXuid) && q.xuid == "" && (q.inactive || q.reservations) {
		return badRequest("inactive=true and reservations=true need a xuid parameter")
	}
	return nil
}

// privateQueryAllowed reports whether a private=true or reservations=true query may go on.
// Reference: server principals, and users naming their own XUID in the xuid parameter.
// Variant own-query-without-xuid: also a user without xuid whose body is owners.xuids
// [caller]. Faults: private-query-server-only, private-query-forbids-servers,
// allow-private-query-for-users (a user naming another xuid) and
// private-query-without-xuid-allowed (a user without xuid).
func (e *Emulator) privateQueryAllowed(c *call, qp *queryParams, hq *handleQuery) bool {
	server := c.isServer()
	ownXUID := qp.xuid != "" && qp.xuid == c.xuid()
	switch {
	case e.fault(faultPrivateQueryServerOnly):
		return server
	case e.fault(faultPrivateQueryForbidsServers):
		return ownXUID
	case server || ownXUID:
		return true
	case qp.xuid != "":
		return e.fault(faultAllowPrivateQueryForUsers)
	case e.fault(faultPrivateQueryWithoutXuidAllowed):
		return true
	}
	return e.variant(variantOwnQueryWithoutXuid) && c.isUser() && hq != nil &&
		len(hq.xuids) == 1 && hq.xuids[0] == c.xuid()
}

// acceptsMoniker reports whether owners.people may use moniker (lower-cased): people and
// favorites; only people with the favorites-moniker-rejected fault.
func (e *Emulator) acceptsMoniker(moniker string) bool {
	switch moniker {
	case fixtures.MonikerPeople:
		return true
	case fixtures.MonikerFavorites:
		return !e.fault(faultFavoritesMonikerRejected)
	}
	return false
}

// globalTemplate matches a search query's templateName written as global(NAME).
var globalTemplate = regexp.MustCompile(`^global\((.*)\)$`)

// searchTemplateName reads a search query's templateName: a template name, or global(NAME)
// addressing template NAME (refused, like the other non-XSAPI fields, when
// searchQueryFieldsAllowed says no).
func (e *Emulator) searchTemplateName(raw string) (string, error) {
	name := raw
	if m := globalTemplate.FindStringSubmatch(raw); m != nil {
		if !e.searchQueryFieldsAllowed() {
			return "", badRequest("templateName %q is not a template name", raw)
		}
		name = m[1]
	}
	if !fixtures.IsSessionName(name) {
		return "", badRequest("templateName %q is invalid", raw)
	}
	return name, nil
}

// searchQueryFieldsAllowed reports whether a search query may carry the fields that clients
// other than XSAPI send (communicatePermissionRequired, includeScheduled): yes; no with the
// search-query-strict-fields fault. (filter and orderBy, which XSAPI sends, stay accepted, so
// the fault breaks HQ-SEARCH-QUERY-FIELDS and not HQ-SEARCH-QUERY.)
func (e *Emulator) searchQueryFieldsAllowed() bool { return !e.fault(faultSearchQueryStrictFields) }

// resultLimit is the most results a query returns: take (default 100). take=0 means no
// limit with the take-zero-unlimited variant and the take-zero-means-default fault; the
// take-plus-one fault returns one more.
func (e *Emulator) resultLimit(qp *queryParams) int {
	limit := qp.take
	if limit == 0 && (e.variant(variantTakeZeroUnlimited) || e.fault(faultTakeZeroMeansDefault)) {
		limit = maxQueryResults
	}
	if e.fault(faultTakePlusOne) {
		limit++
	}
	return limit
}

// resultOrder orders the candidate handles of a query: oldest first; newest first with the
// reverse-result-order variant.
func (e *Emulator) resultOrder(hs []*handle) []*handle {
	if e.variant(variantReverseResultOrder) {
		for i, j := 0, len(hs)-1; i < j; i, j = i+1, j-1 {
			hs[i], hs[j] = hs[j], hs[i]
		}
	}
	return hs
}

// appliesQueryFilters reports whether the query-string filters (keyword, xuid, reservations,
// inactive, private, visibility, version) narrow the results: yes; no with the
// query-filters-ignored variant.
func (e *Emulator) appliesQueryFilters() bool { return !e.variant(variantQueryFiltersIgnored) }

// queryResponse is the body of a query answer: {results}; with the extra-fields variant also
// continuationToken and extension.
func (e *Emulator) queryResponse(results []any) map[string]any {
	out := map[string]any{"results": results}
	if e.extension() != nil {
		out["continuationToken"] = ""
	}
	return e.extend(out)
}

// ---------------------------------------------------------------------------------------
// Session writes.

// sessionRequestKeys are the accepted top-level members of a session PUT: constants,
// properties, members, servers and roleTypes; without roleTypes with the reject-roletypes
// fault.
func (e *Emulator) sessionRequestKeys() []string {
	if e.fault(faultRejectRoleTypes) {
		return []string{"constants", "properties", "members", "servers"}
	}
	return []string{"constants", "properties", "members", "servers", "roleTypes"}
}

// meXUIDCheck is the error for members.me naming constants.system.xuid of someone other than
// the caller: none (the caller is the token's user and the given xuid is ignored); 400 with
// the me-xuid-must-match-caller fault.
func (e *Emulator) meXUIDCheck(req *sessionRequest, c *call) error {
	if e.fault(faultMeXuidMustMatchCaller) && req.me != nil && req.me.xuid != "" && req.me.xuid != c.xuid() {
		return badRequest("members.me.constants.system.xuid %s is not the caller's XUID", req.me.xuid)
	}
	return nil
}

// ifMatchFails reports whether a session PUT's If-Match (non-empty) fails against the
// existing session cur: unless it is * or lists the current ETag. With the
// if-match-always-stale fault every If-Match of a PUT by path fails.
func (e *Emulator) ifMatchFails(im string, cur *session, via *handle) bool {
	if via == nil && e.fault(faultIfMatchAlwaysStale) {
		return true
	}
	return im != "*" && !etagMatch(im, cur.etag())
}

// emptiedSessionReply is the answer to a write by which the session's last member left (the
// session is deleted): 204. With the handle-put-last-leave-200 fault, a PUT by handle answers
// 200 with the emptied session.
func (e *Emulator) emptiedSessionReply(c *call, via *handle, s *session) reply {
	if via != nil && e.fault(faultHandlePutLastLeave200) {
		return e.sessionReply(http.StatusOK, s, c)
	}
	return emptyReply(http.StatusNoContent)
}

// removesLeftActivities reports whether the activity handles bound to members who left or
// became inactive (and those of a deleted session) are deleted: yes; no with the
// leave-keeps-activity fault.
func (e *Emulator) removesLeftActivities() bool { return !e.fault(faultLeaveKeepsActivity) }
