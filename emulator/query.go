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
func parseQueryParams(raw string, cv int) (*queryParams, error) {
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
		if err != nil || !isDigits(v) || n > maxQueryResults {
			return nil, badRequest("take %q must be an integer from 0 to %d", v, maxQueryResults)
		}
		q.take = n
	}
	if v, ok, err := single("version"); err != nil {
		return nil, err
	} else if ok {
		limit := int64(cv % 100)
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || !isDigits(v) || n > limit {
			return nil, badRequest("version %q must be an integer from 0 to %d (the contract version %d mod 100)", v, limit, cv)
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
			return nil, badRequest("visibility %q must be one of open, visible, private, full", v)
		}
		if v == "private" && !q.private {
			return nil, badRequest("visibility=private requires private=true")
		}
		q.visibility = v
	}
	if v, ok, err := single("xuid"); err != nil {
		return nil, err
	} else if ok {
		if !fixtures.IsDecimalUint(v, 64) {
			return nil, badRequest("xuid %q is not a decimal XUID", v)
		}
		q.xuid = v
	}
	if v, ok, err := single("keyword"); err != nil {
		return nil, err
	} else if ok {
		if v == "" {
			return nil, badRequest("keyword must not be empty")
		}
		q.keyword, q.hasKeyword = v, true
	}
	if v, ok, err := single("include"); err != nil {
		return nil, err
	} else if ok {
		for _, item := range strings.Split(v, ",") {
			item = strings.TrimSpace(item)
			if !includeValues[item] {
				return nil, badRequest("include item %q is not one of relatedInfo, customProperties, roleInfo, session", item)
			}
			q.include[item] = true
		}
	}
	return q, nil
}

// handleQuery is a validated POST /handles/query body.
type handleQuery struct {
	typ      string
	scid     string
	template string          // search
	owners   map[string]bool // activity: owner XUIDs
}

// parseQueryBody validates the body; people monikers are resolved through graph.
func parseQueryBody(body []byte, graph map[string]map[string][]string) (*handleQuery, error) {
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
		if q.template, err = reqString(m, "", "templateName"); err != nil {
			return nil, err
		}
		if !fixtures.IsSessionName(q.template) {
			return nil, badRequest("templateName %q is invalid", q.template)
		}
		for _, k := range []string{"filter", "orderBy"} {
			if _, _, err := optString(m, "", k); err != nil {
				return nil, err
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
	if hasPeople == hasXuids {
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
		if moniker != fixtures.MonikerPeople && moniker != fixtures.MonikerFavorites {
			return nil, badRequest("owners.people.moniker %q must be people or favorites", moniker)
		}
		mx, err := reqString(people, "owners.people", "monikerXuid")
		if err != nil {
			return nil, err
		}
		if !fixtures.IsDecimalUint(mx, 64) {
			return nil, badRequest("owners.people.monikerXuid %q is not a decimal XUID", mx)
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
	}
	return q, nil
}

// queryHandles is POST /handles/query: query string (400s), then the private/reservations
// rule (403), then the body (400s).
func (e *Emulator) queryHandles(c *call) reply {
	qp, err := parseQueryParams(c.r.URL.RawQuery, c.cv)
	if err != nil {
		return errorReply(err)
	}
	if (qp.private || qp.reservations) && !c.isServer() && (qp.xuid == "" || qp.xuid != c.xuid()) {
		if !e.fault(faultAllowPrivateQueryForUsers) {
			return errorReply(forbidden("private=true and reservations=true need a server principal or the caller's own XUID in the xuid parameter"))
		}
	}
	hq, err := parseQueryBody(c.body, e.social)
	if err != nil {
		return errorReply(err)
	}
	st := e.store
	st.mu.Lock()
	defer st.mu.Unlock()
	results := make([]any, 0)
	for _, h := range st.sortedHandles() {
		if len(results) >= qp.take {
			break
		}
		if h.typ != hq.typ || !strings.EqualFold(h.ref.scid, hq.scid) {
			continue
		}
		if hq.typ == handleActivity && !hq.owners[h.creator] {
			continue
		}
		if hq.typ == handleSearch && !strings.EqualFold(h.ref.template, hq.template) {
			continue
		}
		s := st.sessions[h.ref.key()]
		if !qp.matches(s) {
			continue
		}
		doc := copyMap(h.doc)
		if qp.include["relatedInfo"] && s != nil {
			doc["relatedInfo"] = relatedInfo(s, h.typ == handleSearch)
		}
		if qp.include["customProperties"] {
			custom := map[string]any{}
			if s != nil {
				custom = copyMap(subObject(s.properties, "custom"))
			}
			doc["customProperties"] = custom
		}
		results = append(results, doc)
	}
	return jsonReply(http.StatusOK, map[string]any{"results": results}).with("Cache-Control", cacheNoStore)
}

// matches applies the query-string filters to a handle's session (nil when it is gone).
func (q *queryParams) matches(s *session) bool {
	if s == nil {
		return !q.hasKeyword && q.xuid == "" && q.visibility == "" && !q.hasVersion
	}
	if s.visibility() == "private" && !q.private {
		return false
	}
	if q.hasKeyword {
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
	if q.xuid != "" {
		m := s.findMember(q.xuid)
		switch {
		case m == nil:
			return false
		case m.reserved:
			if !q.reservations {
				return false
			}
		case !m.active():
			if !q.inactive {
				return false
			}
		}
	}
	switch q.visibility {
	case "":
	case "full":
		if len(s.members) < s.maxMembers() {
			return false
		}
	default:
		if s.visibility() != q.visibility {
			return false
		}
	}
	if q.hasVersion && s.version() > q.version {
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
