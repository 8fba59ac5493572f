package emulator

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/mpsdconf/mpsdconf/fixtures"
)

// maxQueryResults caps POST /handles/query results (the service has no paging).
const maxQueryResults = 100

// queryParams is a validated POST /handles/query query string.
type queryParams struct {
	take         int
	hasVersion   bool
	version      int64
	private      bool
	reservations bool
	inactive     bool
	visibility   string
	xuid         string
	keyword      string
	hasKeyword   bool
	include      map[string]bool
}

// includeValues are the accepted items of the include list.
var includeValues = map[string]bool{"relatedInfo": true, "customProperties": true, "roleInfo": true, "session": true}

// parseQueryParams validates the query string of POST /handles/query for contract cv.
func (e *Emulator) parseQueryParams(raw string, cv int) (*queryParams, error) {
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return nil, badRequest("query string is malformed: %v", err)
	}
	single := func(name string) (string, bool, error) {
		vs := vals[name]
		switch len(vs) {
		case 0:
			return "", false, nil
		case 1:
			return vs[0], true, nil
		default:
			return "", true, badRequest("query parameter %s is given more than once", name)
		}
	}
	q := &queryParams{take: maxQueryResults, include: map[string]bool{}}
	if v, ok, err := single("take"); err != nil {
		return nil, err
	} else if ok {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil && e.fault(faultNonNumericTakeIgnored):
			n = maxQueryResults
		case n > maxQueryResults && isDigits(v) && e.fault(faultClampTakeTo100):
			n = maxQueryResults
		case err != nil || !isDigits(v) || n > maxQueryResults:
			return nil, badRequest("take %q must be an integer from 0 to %d", v, maxQueryResults)
		case n == maxQueryResults && e.fault(faultTake100Rejected):
			return nil, badRequest("take %q must be an integer from 0 to %d", v, maxQueryResults-1)
		}
		q.take = n
	}
	if v, ok, err := single("version"); err != nil {
		return nil, err
	} else if ok {
		limit, basis := e.versionLimit(cv)
		n, err := strconv.ParseInt(v, 10, 64)
		switch {
		case err == nil && n < 0 && e.fault(faultNegativeVersionAccepted):
		case err != nil || !isDigits(v):
			return nil, badRequest("version %q must be an integer from 0 to %d (%s)", v, limit, basis)
		case n > limit && e.fault(faultVersionAboveLimit406):
			return nil, errorf(http.StatusNotAcceptable, "version %q is above %d (%s)", v, limit, basis)
		case n > limit:
			return nil, badRequest("version %q must be an integer from 0 to %d (%s)", v, limit, basis)
		}
		q.hasVersion, q.version = true, n
	}
	for _, b := range []struct {
		name string
		dst  *bool
	}{{"private", &q.private}, {"reservations", &q.reservations}, {"inactive", &q.inactive}} {
		v, ok, err := single(b.name)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		if e.fault(faultLenientBooleanParameters) {
			if bv, err := strconv.ParseBool(v); err == nil {
				*b.dst = bv
				continue
			}
		}
		switch v {
		case "true":
			*b.dst = true
		case "false":
			*b.dst = false
		default:
			return nil, badRequest("%s %q must be true or false", b.name, v)
		}
	}
	if v, ok, err := single("visibility"); err != nil {
		return nil, err
	} else if ok {
		switch v {
		case "open", "visible", "private", "full":
		default:
			if e.fault(faultUnknownVisibilityIgnored) {
				v = ""
				break
			}
			return nil, badRequest("visibility %q must be one of open, visible, private, full", v)
		}
		if v == "private" && !q.private && !e.fault(faultPrivateVisibilityWithoutPrivateFlag) {
			if e.fault(faultPrivateVisibility403) {
				return nil, forbidden("visibility=private requires private=true")
			}
			return nil, badRequest("visibility=private requires private=true")
		}
		q.visibility = v
	}
	if v, ok, err := single("xuid"); err != nil {
		return nil, err
	} else if ok {
		if !fixtures.IsDecimalUint(v, 64) && !(e.fault(faultXuidOverflowAccepted) && isDigits(v)) {
			return nil, badRequest("xuid %q is not a decimal XUID", v)
		}
		q.xuid = v
	}
	if v, ok, err := single("keyword"); err != nil {
		return nil, err
	} else if ok {
		switch {
		case v == "" && e.fault(faultEmptyKeywordIgnored):
		case v == "":
			return nil, badRequest("keyword must not be empty")
		default:
			q.keyword, q.hasKeyword = v, true
		}
	}
	if v, ok, err := single("include"); err != nil {
		return nil, err
	} else if ok {
		items := strings.Split(v, ",")
		if e.fault(faultIncludeSingleItemOnly) {
			items = []string{v}
		}
		for _, item := range items {
			item = strings.TrimSpace(item)
			if !includeValues[item] {
				if e.fault(faultUnknownIncludeIgnored) {
					continue
				}
				return nil, badRequest("include item %q is not one of relatedInfo, customProperties, roleInfo, session", item)
			}
			q.include[item] = true
		}
	}
	if err := e.xuidRequirement(q); err != nil {
		return nil, err
	}
	return q, nil
}

// handleQuery is a validated POST /handles/query body.
type handleQuery struct {
	typ      string
	scid     string
	template string          // search: the template addressed (global(NAME) gives NAME)
	owners   map[string]bool // activity: owner XUIDs
	xuids    []string        // activity: owners.xuids as given (nil for owners.people)
}

// parseQueryBody validates the body; people monikers are resolved through graph.
func (e *Emulator) parseQueryBody(body []byte, graph map[string]map[string][]string) (*handleQuery, error) {
	m, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	typ, err := reqString(m, "", "type")
	if err != nil {
		return nil, err
	}
	if typ != handleActivity && typ != handleSearch {
		return nil, badRequest("type %q cannot be queried; use activity or search", typ)
	}
	scid, err := reqString(m, "", "scid")
	if err != nil {
		return nil, err
	}
	if !isGUID(scid) {
		return nil, badRequest("scid %q is not a GUID", scid)
	}
	q := &handleQuery{typ: typ, scid: scid}
	if typ == handleSearch {
		raw, err := reqString(m, "", "templateName")
		if err != nil {
			return nil, err
		}
		if q.template, err = e.searchTemplateName(raw); err != nil {
			return nil, err
		}
		for _, k := range []string{"filter", "orderBy"} {
			if _, _, err := optString(m, "", k); err != nil {
				return nil, err
			}
		}
		for _, k := range []string{"global", "communicatePermissionRequired", "includeScheduled"} {
			v, present := m[k]
			if !present {
				continue
			}
			if _, ok := v.(bool); !ok {
				return nil, badRequest("%s must be a boolean, not %s", k, jsonType(v))
			}
			if k != "global" && !e.searchQueryFieldsAllowed() {
				return nil, badRequest("%s is not allowed in a search query", k)
			}
		}
		return q, nil
	}
	owners, err := reqObject(m, "", "owners")
	if err != nil {
		return nil, err
	}
	if err := checkKeys(owners, "owners", "people", "xuids"); err != nil {
		return nil, err
	}
	_, hasPeople := owners["people"]
	_, hasXuids := owners["xuids"]
	if hasPeople == hasXuids && !(hasPeople && e.fault(faultAcceptBothOwnerForms)) {
		return nil, badRequest("owners must have exactly one of people or xuids")
	}
	q.owners = map[string]bool{}
	if hasPeople {
		people, err := reqObject(owners, "owners", "people")
		if err != nil {
			return nil, err
		}
		moniker, err := reqString(people, "owners.people", "moniker")
		if err != nil {
			return nil, err
		}
		moniker = strings.ToLower(moniker)
		if !e.acceptsMoniker(moniker) {
			return nil, badRequest("owners.people.moniker %q is not supported (people or favorites)", moniker)
		}
		mx, err := reqString(people, "owners.people", "monikerXuid")
		if err != nil {
			return nil, err
		}
		if !fixtures.IsDecimalUint(mx, 64) {
			return nil, badRequest("owners.people.monikerXuid %q is not a decimal XUID", mx)
		}
		if e.fault(faultPeopleQueryReturnsSelf) {
			q.owners[mx] = true
			return q, nil
		}
		for _, x := range graph[mx][moniker] {
			q.owners[x] = true
		}
		return q, nil
	}
	arr, ok := owners["xuids"].([]any)
	if !ok || len(arr) == 0 {
		return nil, badRequest("owners.xuids must be a non-empty array of XUID strings")
	}
	for _, v := range arr {
		x, ok := v.(string)
		if !ok || !fixtures.IsDecimalUint(x, 64) {
			return nil, badRequest("owners.xuids must be a non-empty array of XUID strings")
		}
		q.owners[x] = true
		q.xuids = append(q.xuids, x)
	}
	return q, nil
}

// queryHandles is POST /handles/query: query string (400s), then the private/reservations
// rule (403), then the body (400s).
func (e *Emulator) queryHandles(c *call) reply {
	qp, err := e.parseQueryParams(c.r.URL.RawQuery, c.cv)
	if err != nil {
		return errorReply(err)
	}
	hq, bodyErr := e.parseQueryBody(c.body, e.social)
	if (qp.private || qp.reservations) && !e.privateQueryAllowed(c, qp, hq) {
		return errorReply(forbidden("private=true and reservations=true need a server principal or the caller's own XUID in the xuid parameter"))
	}
	if bodyErr != nil {
		return errorReply(bodyErr)
	}
	st := e.store
	st.mu.Lock()
	defer st.mu.Unlock()
	results := make([]any, 0)
	limit := e.resultLimit(qp)
	for _, h := range e.resultOrder(st.sortedHandles()) {
		if len(results) >= limit {
			break
		}
		if h.typ != hq.typ || !strings.EqualFold(h.ref.scid, hq.scid) {
			continue
		}
		if (hq.typ == handleActivity || e.fault(faultSearchQueryAppliesOwnerFilter)) && !hq.owners[h.creator] && !e.fault(faultQueryIgnoresOwners) {
			continue
		}
		if hq.typ == handleActivity && h.creator == c.xuid() && e.fault(faultOwnersXuidsSkipCaller) {
			continue
		}
		if hq.typ == handleSearch && !strings.EqualFold(h.ref.template, hq.template) {
			continue
		}
		s := st.sessions[h.ref.key()]
		if !e.matches(qp, s) {
			continue
		}
		var extra []field
		if (qp.include["relatedInfo"] || e.fault(faultAlwaysIncludeRelatedInfo)) && s != nil {
			ri := e.extend(relatedInfo(s, h.typ == handleSearch))
			if e.fault(faultRelatedInfoOmitsFalseClosed) && !s.closed() {
				delete(ri, "closed")
			}
			extra = append(extra, field{"relatedInfo", ri})
		}
		if qp.include["customProperties"] {
			custom := map[string]any{}
			if s != nil {
				from := s.properties
				if e.fault(faultCustomPropertiesFromConstants) {
					from = s.constants
				}
				custom = copyMap(subObject(from, "custom"))
			}
			extra = append(extra, field{"customProperties", custom})
		}
		doc, err := e.handleJSON(h, extra...)
		if err != nil {
			return errorReply(err)
		}
		results = append(results, doc)
		if e.fault(faultDuplicateQueryResults) {
			results = append(results, doc)
		}
	}
	return jsonReply(http.StatusOK, e.queryResponse(results)).with("Cache-Control", cacheNoStore)
}

// matches applies the query-string filters q to a handle's session (nil when it is gone).
func (e *Emulator) matches(q *queryParams, s *session) bool {
	if !e.appliesQueryFilters() {
		return true
	}
	if s == nil {
		return !q.hasKeyword && q.xuid == "" && q.visibility == "" && !q.hasVersion
	}
	if s.visibility() == "private" && !q.private && !e.fault(faultPrivateSessionsAlwaysListed) {
		return false
	}
	if q.hasKeyword && !e.fault(faultKeywordFilterIgnored) {
		found := false
		for _, k := range s.keywords() {
			if strings.EqualFold(k, q.keyword) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if q.xuid != "" && !e.fault(faultXuidFilterIgnored) {
		m := s.findMember(q.xuid)
		switch {
		case m == nil:
			return false
		case m.reserved:
			if !q.reservations || e.fault(faultIgnoreReservationsParameter) {
				return false
			}
		case !m.active():
			if !q.inactive || e.fault(faultIgnoreInactiveParameter) {
				return false
			}
		}
	}
	visibility := q.visibility
	if e.fault(faultVisibilityFilterIgnored) {
		visibility = ""
	}
	switch visibility {
	case "":
	case "full":
		if len(s.members) < s.maxMembers() {
			return false
		}
	default:
		if s.visibility() != visibility {
			return false
		}
	}
	if q.hasVersion && s.version() > q.version {
		return false
	}
	if q.hasVersion && s.version() == q.version && e.fault(faultVersionFilterExclusive) {
		return false
	}
	return true
}

// relatedInfo summarises the handle's session for include=relatedInfo.
func relatedInfo(s *session, search bool) map[string]any {
	ri := map[string]any{
		"visibility":      s.visibility(),
		"joinRestriction": s.joinRestriction(),
		"closed":          s.closed(),
		"maxMembersCount": s.maxMembers(),
		"membersCount":    len(s.members),
	}
	if search {
		owners := []any{}
		for _, i := range s.owners() {
			if m := s.members[i]; m != nil {
				owners = append(owners, m.xuid)
			}
		}
		ri["sessionOwners"] = owners
	}
	return ri
}
