// validate_query.go holds the parsing of POST /handles/query: the query string into
// queryParams (take, version, the boolean flags, visibility, xuid, keyword, include) and the
// body into a handleQuery (activity owners by XUID or by social graph, or a search template).

package emulator

import (
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

// queryValues is a parsed query string.
type queryValues url.Values

// single returns the one value of the parameter name; given reports whether it is there.
// A parameter given more than once is a 400.
func (vals queryValues) single(name string) (v string, given bool, err error) {
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

// queryParam parses one query parameter into q.
type queryParam struct {
	name  string
	parse func(e *Emulator, q *queryParams, v string, cv int) error
}

// queryParamOrder lists the query parameters in the order they are checked (the first
// invalid one is reported). visibility comes after private, which it depends on.
var queryParamOrder = []queryParam{
	{"take", (*Emulator).parseTake},
	{"version", (*Emulator).parseVersion},
	flagParam("private", func(q *queryParams) *bool { return &q.private }),
	flagParam("reservations", func(q *queryParams) *bool { return &q.reservations }),
	flagParam("inactive", func(q *queryParams) *bool { return &q.inactive }),
	{"visibility", (*Emulator).parseVisibility},
	{"xuid", (*Emulator).parseXUID},
	{"keyword", (*Emulator).parseKeyword},
	{"include", (*Emulator).parseInclude},
}

// parseQueryParams validates the query string of POST /handles/query for contract cv.
func (e *Emulator) parseQueryParams(raw string, cv int) (*queryParams, error) {
	parsed, err := url.ParseQuery(raw)
	if err != nil {
		return nil, badRequest("query string is malformed: %v", err)
	}
	vals := queryValues(parsed)
	q := &queryParams{take: maxQueryResults, include: map[string]bool{}}
	for _, p := range queryParamOrder {
		v, given, err := vals.single(p.name)
		if err != nil {
			return nil, err
		}
		if !given {
			continue
		}
		if err := p.parse(e, q, v, cv); err != nil {
			return nil, err
		}
	}
	if err := e.xuidRequirement(q); err != nil {
		return nil, err
	}
	return q, nil
}

// parseTake reads take: an integer from 0 to 100 written in digits.
func (e *Emulator) parseTake(q *queryParams, v string, _ int) error {
	n, err := strconv.Atoi(v)
	if lenient, ok := e.lenientTake(v, n, err); ok {
		q.take = lenient
		return nil
	}
	if err != nil || !isDigits(v) || n > maxQueryResults {
		return badRequest("take %q must be an integer from 0 to %d", v, maxQueryResults)
	}
	if n == maxQueryResults && e.rejectsTake100() {
		return badRequest("take %q must be an integer from 0 to %d", v, maxQueryResults-1)
	}
	q.take = n
	return nil
}

// parseVersion reads version: an integer from 0 to the limit versionLimit gives for cv.
func (e *Emulator) parseVersion(q *queryParams, v string, cv int) error {
	limit, basis := e.versionLimit(cv)
	n, err := strconv.ParseInt(v, 10, 64)
	switch {
	case err == nil && n < 0 && e.acceptsNegativeVersion():
	case err != nil || !isDigits(v):
		return badRequest("version %q must be an integer from 0 to %d (%s)", v, limit, basis)
	case n > limit:
		return e.versionAboveLimit(v, limit, basis)
	}
	q.hasVersion, q.version = true, n
	return nil
}

// flagParam is the boolean query parameter name, stored at field(q).
func flagParam(name string, field func(q *queryParams) *bool) queryParam {
	return queryParam{name, func(e *Emulator, q *queryParams, v string, _ int) error {
		b, err := e.parseFlag(name, v)
		if err != nil {
			return err
		}
		*field(q) = b
		return nil
	}}
}

// parseFlag reads the boolean query parameter name: true or false.
func (e *Emulator) parseFlag(name, v string) (bool, error) {
	if b, ok := e.lenientBoolean(v); ok {
		return b, nil
	}
	switch v {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, badRequest("%s %q must be true or false", name, v)
}

// parseVisibility reads visibility: open, visible, private (which needs private=true) or
// full.
func (e *Emulator) parseVisibility(q *queryParams, v string, _ int) error {
	switch v {
	case "open", "visible", "private", "full":
	default:
		if !e.ignoresUnknownVisibility() {
			return badRequest("visibility %q must be one of open, visible, private, full", v)
		}
		v = ""
	}
	if v == "private" && !q.private {
		if err := e.privateVisibilityRefusal(); err != nil {
			return err
		}
	}
	q.visibility = v
	return nil
}

// parseXUID reads xuid: a decimal XUID (see validXUIDParameter).
func (e *Emulator) parseXUID(q *queryParams, v string, _ int) error {
	if !e.validXUIDParameter(v) {
		return badRequest("xuid %q is not a decimal XUID", v)
	}
	q.xuid = v
	return nil
}

// parseKeyword reads keyword, which must not be empty.
func (e *Emulator) parseKeyword(q *queryParams, v string, _ int) error {
	switch {
	case v == "" && e.ignoresEmptyKeyword():
	case v == "":
		return badRequest("keyword must not be empty")
	default:
		q.keyword, q.hasKeyword = v, true
	}
	return nil
}

// parseInclude reads include: a comma-separated list of includeValues.
func (e *Emulator) parseInclude(q *queryParams, v string, _ int) error {
	for _, item := range e.includeItems(v) {
		item = strings.TrimSpace(item)
		if !includeValues[item] {
			if e.ignoresUnknownInclude() {
				continue
			}
			return badRequest("include item %q is not one of relatedInfo, customProperties, roleInfo, session", item)
		}
		q.include[item] = true
	}
	return nil
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
		if err := e.parseSearchQuery(m, q); err != nil {
			return nil, err
		}
		return q, nil
	}
	if err := e.parseOwners(m, graph, q); err != nil {
		return nil, err
	}
	return q, nil
}

// parseSearchQuery validates the fields of a search query: templateName and the optional
// filter, orderBy and boolean flags.
func (e *Emulator) parseSearchQuery(m map[string]any, q *handleQuery) error {
	raw, err := reqString(m, "", "templateName")
	if err != nil {
		return err
	}
	if q.template, err = e.searchTemplateName(raw); err != nil {
		return err
	}
	for _, k := range []string{"filter", "orderBy"} {
		if _, _, err := optString(m, "", k); err != nil {
			return err
		}
	}
	for _, k := range []string{"global", "communicatePermissionRequired", "includeScheduled"} {
		v, present := m[k]
		if !present {
			continue
		}
		if _, ok := v.(bool); !ok {
			return badRequest("%s must be a boolean, not %s", k, jsonType(v))
		}
		if k != "global" && !e.searchQueryFieldsAllowed() {
			return badRequest("%s is not allowed in a search query", k)
		}
	}
	return nil
}

// parseOwners validates the owners of an activity query: exactly one of people (resolved
// through graph) and xuids.
func (e *Emulator) parseOwners(m map[string]any, graph map[string]map[string][]string, q *handleQuery) error {
	owners, err := reqObject(m, "", "owners")
	if err != nil {
		return err
	}
	if err := checkKeys(owners, "owners", "people", "xuids"); err != nil {
		return err
	}
	_, hasPeople := owners["people"]
	_, hasXuids := owners["xuids"]
	if hasPeople == hasXuids && !(hasPeople && e.acceptsBothOwnerForms()) {
		return badRequest("owners must have exactly one of people or xuids")
	}
	q.owners = map[string]bool{}
	if hasPeople {
		return e.parsePeople(owners, graph, q)
	}
	arr, ok := owners["xuids"].([]any)
	if !ok || len(arr) == 0 || !arrayOf(arr, isXUIDString) {
		return badRequest("owners.xuids must be a non-empty array of XUID strings")
	}
	for _, v := range arr {
		x, _ := v.(string)
		q.owners[x] = true
		q.xuids = append(q.xuids, x)
	}
	return nil
}

// parsePeople validates owners.people {moniker, monikerXuid} and adds the people the
// moniker lists for monikerXuid (peopleOwners) to the query's owners.
func (e *Emulator) parsePeople(owners map[string]any, graph map[string]map[string][]string, q *handleQuery) error {
	people, err := reqObject(owners, "owners", "people")
	if err != nil {
		return err
	}
	moniker, err := reqString(people, "owners.people", "moniker")
	if err != nil {
		return err
	}
	moniker = strings.ToLower(moniker)
	if !e.acceptsMoniker(moniker) {
		return badRequest("owners.people.moniker %q is not supported (people or favorites)", moniker)
	}
	mx, err := reqString(people, "owners.people", "monikerXuid")
	if err != nil {
		return err
	}
	if !fixtures.IsDecimalUint(mx, 64) {
		return badRequest("owners.people.monikerXuid %q is not a decimal XUID", mx)
	}
	for _, x := range e.peopleOwners(graph, mx, moniker) {
		q.owners[x] = true
	}
	return nil
}
