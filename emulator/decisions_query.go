// decisions_query.go holds the decision points of POST /handles/query: the query-string
// parameters, the private/reservations rule, the body's owners, which handles are listed and
// filtered, and the shape of the results. See decisions_request.go for what a decision point
// is.

package emulator

import (
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/mpsdconf/mpsdconf/fixtures"
)

// ---------------------------------------------------------------------------------------
// The query string.

// lenientTake is the take a fault reads from a value v the reference refuses (n and err are
// strconv.Atoi's reading of v); ok is false when v is read as the reference reads it (an
// integer from 0 to 100 in digits). Faults: non-numeric-take-ignored reads a value Atoi
// cannot read as 100; clamp-take-to-100 reads digits above 100 as 100.
func (e *Emulator) lenientTake(v string, n int, err error) (take int, ok bool) {
	switch {
	case err != nil && e.fault(faultNonNumericTakeIgnored):
		return maxQueryResults, true
	case n > maxQueryResults && isDigits(v) && e.fault(faultClampTakeTo100):
		return maxQueryResults, true
	}
	return 0, false
}

// rejectsTake100 reports whether take=100 is refused: no; yes (take must be below 100) with
// the take-100-rejected fault.
func (e *Emulator) rejectsTake100() bool { return e.fault(faultTake100Rejected) }

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

// acceptsNegativeVersion reports whether a negative version parameter is accepted (and
// lists nothing newer than it): no, 400; yes with the negative-version-accepted fault.
func (e *Emulator) acceptsNegativeVersion() bool { return e.fault(faultNegativeVersionAccepted) }

// versionAboveLimit is the error for a version parameter v above limit (see versionLimit):
// 400; 406 with the version-above-limit-406 fault.
func (e *Emulator) versionAboveLimit(v string, limit int64, basis string) error {
	if e.fault(faultVersionAboveLimit406) {
		return errorf(http.StatusNotAcceptable, "version %q is above %d (%s)", v, limit, basis)
	}
	return badRequest("version %q must be an integer from 0 to %d (%s)", v, limit, basis)
}

// lenientBoolean is the value a fault reads from a boolean parameter v: ok is false by
// default (only true and false are accepted); with the lenient-boolean-parameters fault
// everything strconv.ParseBool reads (1, t, TRUE, ...).
func (e *Emulator) lenientBoolean(v string) (value, ok bool) {
	if !e.fault(faultLenientBooleanParameters) {
		return false, false
	}
	b, err := strconv.ParseBool(v)
	return b, err == nil
}

// ignoresUnknownVisibility reports whether a visibility parameter other than open, visible,
// private and full is ignored: no, 400; yes with the unknown-visibility-ignored fault.
func (e *Emulator) ignoresUnknownVisibility() bool { return e.fault(faultUnknownVisibilityIgnored) }

// privateVisibilityRefusal is the error for visibility=private without private=true: 400.
// Faults: private-visibility-403 answers 403, private-visibility-without-private-flag
// accepts it.
func (e *Emulator) privateVisibilityRefusal() error {
	switch {
	case e.fault(faultPrivateVisibilityWithoutPrivateFlag):
		return nil
	case e.fault(faultPrivateVisibility403):
		return forbidden("visibility=private requires private=true")
	}
	return badRequest("visibility=private requires private=true")
}

// validXUIDParameter reports whether the xuid parameter v is accepted: a decimal XUID (an
// unsigned 64-bit number); any run of digits with the xuid-overflow-accepted fault.
func (e *Emulator) validXUIDParameter(v string) bool {
	return fixtures.IsDecimalUint(v, 64) || (e.fault(faultXuidOverflowAccepted) && isDigits(v))
}

// ignoresEmptyKeyword reports whether an empty keyword parameter is ignored: no, 400; yes
// with the empty-keyword-ignored fault.
func (e *Emulator) ignoresEmptyKeyword() bool { return e.fault(faultEmptyKeywordIgnored) }

// includeItems splits the include parameter into its items: at the commas; with the
// include-single-item-only fault the whole value is one item.
func (e *Emulator) includeItems(v string) []string {
	if e.fault(faultIncludeSingleItemOnly) {
		return []string{v}
	}
	return strings.Split(v, ",")
}

// ignoresUnknownInclude reports whether an include item the emulator does not know is
// ignored: no, 400; yes with the unknown-include-ignored fault.
func (e *Emulator) ignoresUnknownInclude() bool { return e.fault(faultUnknownIncludeIgnored) }

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

// ---------------------------------------------------------------------------------------
// The body.

// acceptsBothOwnerForms reports whether owners may give both people and xuids (people is
// used): no, 400; yes with the accept-both-owner-forms fault.
func (e *Emulator) acceptsBothOwnerForms() bool { return e.fault(faultAcceptBothOwnerForms) }

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

// peopleOwners are the owners an owners.people query asks for: the XUIDs graph lists under
// moniker for monikerXuid mx; with the people-query-returns-self fault mx itself.
func (e *Emulator) peopleOwners(graph map[string]map[string][]string, mx, moniker string) []string {
	if e.fault(faultPeopleQueryReturnsSelf) {
		return []string{mx}
	}
	return graph[mx][moniker]
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

// ---------------------------------------------------------------------------------------
// The results.

// selectsOwner reports whether a query lists handle h by its creator. Reference: an activity
// query lists the requested owners' handles only, a search query every creator's. Faults:
// search-query-applies-owner-filter applies the owner filter to search queries too (which
// name no owners); query-ignores-owners lists every owner's handles; owners-xuids-skip-caller
// leaves out the caller's own activity handles.
func (e *Emulator) selectsOwner(c *call, hq *handleQuery, h *handle) bool {
	ownerFiltered := hq.typ == handleActivity || e.fault(faultSearchQueryAppliesOwnerFilter)
	if ownerFiltered && !hq.owners[h.creator] && !e.fault(faultQueryIgnoresOwners) {
		return false
	}
	return !(hq.typ == handleActivity && h.creator == c.xuid() && e.fault(faultOwnersXuidsSkipCaller))
}

// listsPrivateSessions reports whether handles of private sessions are listed without
// private=true: no; yes with the private-sessions-always-listed fault.
func (e *Emulator) listsPrivateSessions() bool { return e.fault(faultPrivateSessionsAlwaysListed) }

// filtersByKeyword reports whether the keyword parameter filters the results: yes; no with
// the keyword-filter-ignored fault.
func (e *Emulator) filtersByKeyword() bool { return !e.fault(faultKeywordFilterIgnored) }

// filtersByXUID reports whether the xuid parameter filters the results: yes; no with the
// xuid-filter-ignored fault.
func (e *Emulator) filtersByXUID() bool { return !e.fault(faultXuidFilterIgnored) }

// honoursReservationsFlag reports whether reservations=true lists the sessions the xuid
// parameter is reserved in: yes; no with the ignore-reservations-parameter fault.
func (e *Emulator) honoursReservationsFlag() bool { return !e.fault(faultIgnoreReservationsParameter) }

// honoursInactiveFlag reports whether inactive=true lists the sessions the xuid parameter is
// an inactive member of: yes; no with the ignore-inactive-parameter fault.
func (e *Emulator) honoursInactiveFlag() bool { return !e.fault(faultIgnoreInactiveParameter) }

// visibilityFilterValue is the visibility the results are filtered by: the visibility
// parameter (empty: none); none with the visibility-filter-ignored fault.
func (e *Emulator) visibilityFilterValue(q *queryParams) string {
	if e.fault(faultVisibilityFilterIgnored) {
		return ""
	}
	return q.visibility
}

// versionFilterInclusive reports whether version=N lists the sessions whose version is N:
// yes (at most N); no (below N) with the version-filter-exclusive fault.
func (e *Emulator) versionFilterInclusive() bool { return !e.fault(faultVersionFilterExclusive) }

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

// includesRelatedInfo reports whether each result carries relatedInfo: with
// include=relatedInfo; always with the always-include-relatedinfo fault.
func (e *Emulator) includesRelatedInfo(qp *queryParams) bool {
	return qp.include["relatedInfo"] || e.fault(faultAlwaysIncludeRelatedInfo)
}

// relatedInfoDocument is a result's relatedInfo for session s (see relatedInfo), with the
// extra-fields variant's members. With the relatedinfo-omits-false-closed fault closed is
// left out when it is false.
func (e *Emulator) relatedInfoDocument(s *session, search bool) map[string]any {
	ri := e.extend(relatedInfo(s, search))
	if e.fault(faultRelatedInfoOmitsFalseClosed) && !s.closed() {
		delete(ri, "closed")
	}
	return ri
}

// customPropertiesSource is the object whose custom member a result's customProperties
// copies: the session's properties; its constants with the customproperties-from-constants
// fault.
func (e *Emulator) customPropertiesSource(s *session) map[string]any {
	if e.fault(faultCustomPropertiesFromConstants) {
		return s.constants
	}
	return s.properties
}

// queryResultCopies is how many times a selected handle is listed: once; twice with the
// duplicate-query-results fault.
func (e *Emulator) queryResultCopies() int {
	if e.fault(faultDuplicateQueryResults) {
		return 2
	}
	return 1
}
