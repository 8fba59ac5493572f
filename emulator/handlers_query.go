// handlers_query.go holds the handler of POST /handles/query: which handles a query lists
// (type, SCID, owners, template), the query-string filters applied to their sessions, and
// the members added to each result (relatedInfo, customProperties).

package emulator

import (
	"net/http"
	"strings"
)

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
	e.store.mu.Lock()
	defer e.store.mu.Unlock()
	results, err := e.queryResults(c, qp, hq)
	if err != nil {
		return errorReply(err)
	}
	return jsonReply(http.StatusOK, e.queryResponse(results)).with("Cache-Control", cacheNoStore)
}

// queryResults lists the documents of the handles the query selects, in resultOrder, up
// to resultLimit. Lock held.
func (e *Emulator) queryResults(c *call, qp *queryParams, hq *handleQuery) ([]any, error) {
	st := e.store
	results := make([]any, 0)
	limit := e.resultLimit(qp)
	for _, h := range e.resultOrder(st.sortedHandles()) {
		if len(results) >= limit {
			break
		}
		if !e.queryCandidate(c, hq, h) {
			continue
		}
		s := st.sessions[h.ref.key()]
		if !e.matches(qp, s) {
			continue
		}
		doc, err := e.handleJSON(h, e.resultFields(qp, h, s)...)
		if err != nil {
			return nil, err
		}
		for range e.queryResultCopies() {
			results = append(results, doc)
		}
	}
	return results, nil
}

// queryCandidate reports whether the query body selects handle h: its type and SCID, its
// creator (selectsOwner) and, for a search, its template.
func (e *Emulator) queryCandidate(c *call, hq *handleQuery, h *handle) bool {
	if h.typ != hq.typ || !strings.EqualFold(h.ref.scid, hq.scid) {
		return false
	}
	if !e.selectsOwner(c, hq, h) {
		return false
	}
	return hq.typ != handleSearch || strings.EqualFold(h.ref.template, hq.template)
}

// matches applies the query-string filters q to a handle's session (nil when it is gone).
func (e *Emulator) matches(q *queryParams, s *session) bool {
	if !e.appliesQueryFilters() {
		return true
	}
	if s == nil {
		return !q.hasKeyword && q.xuid == "" && q.visibility == "" && !q.hasVersion
	}
	return e.privacyFilter(q, s) && e.keywordFilter(q, s) && e.xuidFilter(q, s) &&
		e.visibilityFilter(q, s) && e.versionFilter(q, s)
}

// privacyFilter lists a private session only for private=true.
func (e *Emulator) privacyFilter(q *queryParams, s *session) bool {
	return s.visibility() != "private" || q.private || e.listsPrivateSessions()
}

// keywordFilter lists, for keyword=K, the sessions with K among properties.system.keywords
// (case-insensitively).
func (e *Emulator) keywordFilter(q *queryParams, s *session) bool {
	if !q.hasKeyword || !e.filtersByKeyword() {
		return true
	}
	for _, k := range s.keywords() {
		if strings.EqualFold(k, q.keyword) {
			return true
		}
	}
	return false
}

// xuidFilter lists, for xuid=X, the sessions X is an active member of; also those X is
// reserved in with reservations=true, and those X is an inactive member of with
// inactive=true.
func (e *Emulator) xuidFilter(q *queryParams, s *session) bool {
	if q.xuid == "" || !e.filtersByXUID() {
		return true
	}
	m := s.findMember(q.xuid)
	switch {
	case m == nil:
		return false
	case m.reserved:
		return q.reservations && e.honoursReservationsFlag()
	case !m.active():
		return q.inactive && e.honoursInactiveFlag()
	}
	return true
}

// visibilityFilter lists, for visibility=V, the sessions of visibility V; for full the
// sessions with as many members as maxMembersCount.
func (e *Emulator) visibilityFilter(q *queryParams, s *session) bool {
	switch visibility := e.visibilityFilterValue(q); visibility {
	case "":
		return true
	case "full":
		return len(s.members) >= s.maxMembers()
	default:
		return s.visibility() == visibility
	}
}

// versionFilter lists, for version=N, the sessions whose constants.system.version is at
// most N.
func (e *Emulator) versionFilter(q *queryParams, s *session) bool {
	if !q.hasVersion {
		return true
	}
	if s.version() > q.version {
		return false
	}
	return s.version() < q.version || e.versionFilterInclusive()
}

// resultFields are the members added to a result's handle document: relatedInfo (with
// include=relatedInfo, see includesRelatedInfo) and customProperties (with
// include=customProperties) of the handle's session s (nil when it is gone).
func (e *Emulator) resultFields(qp *queryParams, h *handle, s *session) []field {
	var extra []field
	if e.includesRelatedInfo(qp) && s != nil {
		extra = append(extra, field{"relatedInfo", e.relatedInfoDocument(s, h.typ == handleSearch)})
	}
	if qp.include["customProperties"] {
		custom := map[string]any{}
		if s != nil {
			custom = copyMap(subObject(e.customPropertiesSource(s), "custom"))
		}
		extra = append(extra, field{"customProperties", custom})
	}
	return extra
}
