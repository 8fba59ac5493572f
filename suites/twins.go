package suites

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2" //nolint:revive // Ginkgo DSL by convention
)

// twin is a loose/exact rule pair: a documented rule that wants a request rejected with any
// 4xx status (an ID ending -4XX) and its inferred twin that wants one exact status. Both judge
// the same requests, so each request is described once and the twin writes both spec texts:
//
//	loose: "<request> is rejected with a 4xx status<looseAlso>"
//	exact: "<request> is answered <status><exactAlso>"
//
// A table entry or spec body of the twin gets the status its rule wants as the first
// parameter: any4xx for the loose rule, status for the exact one; expectRejected judges both.
type twin struct {
	loose, exact string // rule IDs
	status       int    // what the exact rule wants
	looseAlso    string // what the loose rule asks besides the rejection, e.g. " and creates no handle"
	exactAlso    string // what the exact rule asks besides the status, e.g. " with a text/plain message"
}

// looseText is the spec text of request under the loose rule.
func (t twin) looseText(request string) string {
	return request + " is rejected with a 4xx status" + t.looseAlso
}

// exactText is the spec text of request under the exact rule.
func (t twin) exactText(request string) string {
	return fmt.Sprintf("%s is answered %d%s", request, t.status, t.exactAlso)
}

// twinCase is one request of a twin's table: how the spec texts say it and the entry's
// parameters after the wanted status.
type twinCase struct {
	request string
	params  []any
}

// twinOf is the twinCase of request with the given entry parameters.
func twinOf(request string, params ...any) twinCase {
	return twinCase{request: request, params: params}
}

// looseEntry is the table entry of c under the loose rule (wanted status any4xx).
func (t twin) looseEntry(c twinCase) TableEntry {
	return RuleEntry(t.loose, t.looseText(c.request), append([]any{any4xx}, c.params...)...)
}

// exactEntry is the table entry of c under the exact rule (wanted status t.status).
func (t twin) exactEntry(c twinCase) TableEntry {
	return RuleEntry(t.exact, t.exactText(c.request), append([]any{t.status}, c.params...)...)
}

// entries returns, in the order of cases, the loose rule's entries and the exact rule's.
func (t twin) entries(cases ...twinCase) (loose, exact []TableEntry) {
	for _, c := range cases {
		loose = append(loose, t.looseEntry(c))
		exact = append(exact, t.exactEntry(c))
	}
	return loose, exact
}

// twinSpec is one request of a twin declared as plain specs: how the spec texts say it, and
// the spec body, which gets the status the spec's rule wants.
type twinSpec struct {
	request string
	body    func(ctx SpecContext, status int)
}

// specs declares, in the order of cases, the loose rule's spec of each case and then the
// exact rule's, as the hand-written pairs stood.
func (t twin) specs(cases ...twinSpec) {
	for _, c := range cases {
		Spec(t.loose, t.looseText(c.request), func(ctx SpecContext) { c.body(ctx, any4xx) })
	}
	for _, c := range cases {
		Spec(t.exact, t.exactText(c.request), func(ctx SpecContext) { c.body(ctx, t.status) })
	}
}

// spec declares the two specs of a twin that judges a single request.
func (t twin) spec(request string, body func(ctx SpecContext, status int)) {
	t.specs(twinSpec{request: request, body: body})
}
