package emulator

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/google/uuid"
)

var validAspects = map[string]bool{
	AspectStatusCode: true, AspectOptionalFields: true, AspectHeaderForm: true, AspectQueryParameters: true,
	AspectErrorForm: true, AspectContractVersion: true, AspectHTTPSemantics: true,
}

func TestVariantCatalog(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	aspects := map[string]bool{}
	for _, v := range Variants() {
		if !kebabCase(v.Name) {
			t.Errorf("variant name %q is not kebab-case", v.Name)
		}
		if seen[v.Name] {
			t.Errorf("variant %s listed twice", v.Name)
		}
		seen[v.Name] = true
		if v.Description == "" || v.Source == "" {
			t.Errorf("variant %s lacks a description or a source", v.Name)
		}
		if !validAspects[v.Aspect] {
			t.Errorf("variant %s: aspect %q is not one of the listed aspects", v.Name, v.Aspect)
		}
		aspects[v.Aspect] = true
		for _, private := range []string{"stances", "mpsd-contract", "client-and-wire", "../" + "shared", "/work/"} {
			if strings.Contains(v.Source, private) {
				t.Errorf("variant %s: source cites %q, which is not public", v.Name, private)
			}
		}
	}
	if len(seen) < 15 {
		t.Errorf("%d variants, want at least 15", len(seen))
	}
	if len(aspects) < 6 {
		t.Errorf("variants cover %d aspects, want at least 6", len(aspects))
	}
	for _, name := range []string{
		"invite-answers-200", "delete-answers-200", "delete-others-404", "nonmember-activity-404", "contract-version-406",
		"invite-minimal-body", "handle-get-returns-session", "extra-fields", "absolute-locations", "json-charset",
		"error-charset", "gzip", "reverse-result-order", "take-zero-unlimited", "query-filters-ignored",
		"own-query-without-xuid", "inactive-needs-xuid", "version-major", "upgrade-contract-107",
		"lowercase-session-literal", "invite-requires-session",
	} {
		if !seen[name] {
			t.Errorf("variant %s is missing", name)
		}
	}
	Variants()[0].Name = "changed"
	if Variants()[0].Name == "changed" {
		t.Error("Variants exposes the catalog")
	}
}

func TestUnknownVariantFailsNew(t *testing.T) {
	t.Parallel()
	cfg := ConfigFromEnvironment(defaultEnv(), testKey)
	cfg.Variants = []string{variantGzip, "no-such-variant"}
	_, err := New(cfg)
	if err == nil {
		t.Fatal("unknown variant accepted")
	}
	for _, want := range []string{`"no-such-variant"`, variantGzip, variantInviteAnswers200, variantInviteRequiresSession} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	cfg.Variants = []string{variantGzip, variantExtraFields}
	if _, err := New(cfg); err != nil {
		t.Fatalf("known variants: %v", err)
	}
}

// Every variant alone still serves an ordinary round trip (session, activity, invite, query,
// handle reads, delete) without a 5xx, also when the client accepts gzip.
func TestEveryVariantServesOrdinaryRequests(t *testing.T) {
	t.Parallel()
	for _, v := range Variants() {
		t.Run(v.Name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, func(c *Config) { c.Variants = []string{v.Name} })
			name := uniqueName("variant")
			for _, enc := range []string{"", "gzip"} {
				w := h.do(http.MethodPut, h.sessionPath(name), "user1", h.joinBody("user1"), "Accept-Encoding", enc)
				if w.Code != http.StatusCreated && w.Code != http.StatusOK {
					t.Fatalf("variant %s: join answered %d", v.Name, w.Code)
				}
				act := h.do(http.MethodPost, "/handles", "user1", h.activityBody(name), "Accept-Encoding", enc)
				if act.Code != http.StatusCreated {
					t.Fatalf("variant %s: activity answered %d: %s", v.Name, act.Code, act.Body)
				}
				id, _ := responseJSON(t, act)["id"].(string)
				for _, w := range []*httptest.ResponseRecorder{
					h.do(http.MethodGet, h.sessionPath(name), "user1", nil, "Accept-Encoding", enc),
					h.do(http.MethodPost, "/handles", "user1", h.inviteBody(name, h.xuid("user2")), "Accept-Encoding", enc),
					h.do(http.MethodPost, "/handles/query?include=relatedInfo", "user1", h.xuidsQuery("user1"), "Accept-Encoding", enc),
					h.do(http.MethodGet, "/handles/"+id+"/session", "user1", nil, "Accept-Encoding", enc),
					h.do(http.MethodGet, "/handles/"+id, "user1", nil, "Accept-Encoding", enc),
					h.do(http.MethodGet, "/handles/"+uuid.NewString(), "user1", nil, "Accept-Encoding", enc),
					h.do(http.MethodDelete, "/handles/"+id, "user1", nil, "Accept-Encoding", enc),
				} {
					if w.Code >= 500 {
						t.Errorf("variant %s: ordinary request answered %d: %s", v.Name, w.Code, w.Body)
					}
				}
			}
		})
	}
}

// responseJSON decodes a JSON response body, decompressing it when it is gzip-encoded.
func responseJSON(t testing.TB, w *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	body := responseBody(t, w)
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("response is not a JSON object: %v: %q", err, body)
	}
	return m
}

// responseBody is the response body, decompressed when it is gzip-encoded.
func responseBody(t testing.TB, w *httptest.ResponseRecorder) string {
	t.Helper()
	if w.Header().Get("Content-Encoding") != "gzip" {
		return w.Body.String()
	}
	zr, err := gzip.NewReader(bytes.NewReader(w.Body.Bytes()))
	if err != nil {
		t.Fatalf("gzip body: %v", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gzip body: %v", err)
	}
	return string(raw)
}

// behaviourProbe exercises one switch: probe returns an observable summary of the behaviour,
// which must be def on the reference emulator and alt with the switch on.
type behaviourProbe struct {
	name     string
	probe    func(h *harness) string
	def, alt string
}

// checkProbes runs every probe against a reference emulator and one configured by withSwitch.
func checkProbes(t *testing.T, probes []behaviourProbe, withSwitch func(name string) func(*Config)) {
	t.Helper()
	for _, p := range probes {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			if p.def == p.alt {
				t.Fatalf("probe of %s expects the same behaviour with and without it", p.name)
			}
			if got := p.probe(newHarness(t)); got != p.def {
				t.Errorf("reference behaviour: got %q, want %q", got, p.def)
			}
			if got := p.probe(newHarness(t, withSwitch(p.name))); got != p.alt {
				t.Errorf("with %s: got %q, want %q", p.name, got, p.alt)
			}
		})
	}
}

// joined creates a fresh session that the given users join, in order, and returns its name.
func (h *harness) joined(who ...string) string {
	h.t.Helper()
	name := uniqueName("probe")
	for _, w := range who {
		h.join(w, name)
	}
	return name
}

// codes renders status codes as "201 404 ...".
func codes(ws ...*httptest.ResponseRecorder) string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = fmt.Sprint(w.Code)
	}
	return strings.Join(out, " ")
}

func sortedDocKeys(m map[string]any) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ",")
}

var variantProbes = []behaviourProbe{
	{variantInviteAnswers200, func(h *harness) string {
		name := h.joined("user1")
		w := h.do(http.MethodPost, "/handles", "user1", h.inviteBody(name, h.xuid("user2")))
		act := h.do(http.MethodPost, "/handles", "user1", h.activityBody(name))
		return codes(w, act) + " " + fmt.Sprint(responseJSON(h.t, w)["type"])
	}, "201 201 invite", "200 201 invite"},
	{variantDeleteAnswers200, func(h *harness) string {
		name := h.joined("user1")
		id := h.createHandle("user1", h.activityBody(name))
		w := h.do(http.MethodDelete, "/handles/"+id, "user1", nil)
		return fmt.Sprintf("%d %d %q %d", w.Code, w.Body.Len(), w.Header().Get("Content-Type"),
			h.do(http.MethodGet, "/handles/"+id, "user1", nil).Code)
	}, `204 0 "" 404`, `200 0 "" 404`},
	{variantDeleteOthers404, func(h *harness) string {
		name := h.joined("user1")
		id := h.createHandle("user1", h.activityBody(name))
		w := h.do(http.MethodDelete, "/handles/"+id, "user2", nil)
		return fmt.Sprintf("%d %s %d", w.Code, w.Header().Get("Content-Type"), h.do(http.MethodGet, "/handles/"+id, "user1", nil).Code)
	}, "403 text/plain; charset=utf-8 200", "404 text/plain; charset=utf-8 200"},
	{variantNonMemberActivity404, func(h *harness) string {
		name := h.joined("user1")
		return codes(h.do(http.MethodPost, "/handles", "user2", h.activityBody(name)),
			h.do(http.MethodPost, "/handles", "user2", h.activityBody(uniqueName("ghost"))),
			h.do(http.MethodPost, "/handles", "user1", h.activityBody(name)))
	}, "403 403 201", "404 404 201"},
	{variantContractVersion406, func(h *harness) string {
		var out []string
		for _, cv := range []string{noHeader, "abc", "103", "107"} {
			w := h.do(http.MethodGet, h.sessionPath("cv"), "user1", nil, "X-Xbl-Contract-Version", cv)
			out = append(out, fmt.Sprintf("%d %s", w.Code, w.Header().Get("Content-Type")))
		}
		return strings.Join(out, "; ")
	}, "400 text/plain; charset=utf-8; 400 text/plain; charset=utf-8; 400 text/plain; charset=utf-8; 204 ",
		"406 text/plain; charset=utf-8; 406 text/plain; charset=utf-8; 406 text/plain; charset=utf-8; 204 "},
	{variantInviteMinimalBody, func(h *harness) string {
		name := h.joined("user1")
		w := h.do(http.MethodPost, "/handles", "user1", h.inviteBody(name, h.xuid("user2")))
		doc := responseJSON(h.t, w)
		id, _ := doc["id"].(string)
		got := responseJSON(h.t, h.do(http.MethodGet, "/handles/"+id, "user1", nil))
		return fmt.Sprintf("%d %s | %s | %v", w.Code, sortedDocKeys(doc), sortedDocKeys(got), doc["invitedXuid"] == h.xuid("user2"))
	}, "201 createTime,expiration,id,inviteAttributes,invitedXuid,senderXuid,sessionRef,type,version | createTime,expiration,id,inviteAttributes,invitedXuid,senderXuid,sessionRef,type,version | true",
		"201 id,inviteAttributes,invitedXuid,sessionRef,type,version | id,inviteAttributes,invitedXuid,sessionRef,type,version | true"},
	{variantHandleGetReturnsSession, func(h *harness) string {
		name := h.joined("user1")
		id := h.createHandle("user1", h.activityBody(name))
		w := h.do(http.MethodGet, "/handles/"+id, "user2", nil)
		doc := responseJSON(h.t, w)
		_, etag := h.getSession("user1", name)
		ghost := h.createHandle("user1", h.inviteBody(uniqueName("ghost"), h.xuid("user2")))
		g := responseJSON(h.t, h.do(http.MethodGet, "/handles/"+ghost, "user2", nil))
		return fmt.Sprintf("%d %s type=%v session=%v etag=%v | missing session: id=%v",
			w.Code, w.Header().Get("Content-Type"), doc["type"], doc["membersInfo"] != nil, w.Header().Get("ETag") == etag, g["id"] == ghost)
	}, "200 application/json type=activity session=false etag=false | missing session: id=true",
		"200 application/json type=<nil> session=true etag=true | missing session: id=true"},
	{variantExtraFields, func(h *harness) string {
		name := h.joined("user1")
		act := responseJSON(h.t, h.do(http.MethodPost, "/handles", "user1", h.activityBody(name)))
		id, _ := act["id"].(string)
		sess := responseJSON(h.t, h.do(http.MethodGet, h.sessionPath(name), "user1", nil))
		plain := responseJSON(h.t, h.do(http.MethodPost, "/handles/query", "user1", h.xuidsQuery("user1")))
		incl := responseJSON(h.t, h.do(http.MethodPost, "/handles/query?include=relatedInfo", "user1", h.xuidsQuery("user1")))
		got := responseJSON(h.t, h.do(http.MethodGet, "/handles/"+id, "user1", nil))
		results, _ := plain["results"].([]any)
		r0, _ := results[0].(map[string]any)
		return fmt.Sprintf("handle=%v session=%v get=%v wrapper=%v/%v result=%v relatedInfo=%v plain-result=%s",
			act["extension"] != nil, sess["extension"] != nil, got["extension"] != nil,
			plain["extension"] != nil, plain["continuationToken"] != nil,
			path(incl, "results") != nil && r0["extension"] != nil,
			path(incl["results"].([]any)[0], "relatedInfo", "extension") != nil,
			sortedDocKeys(r0))
	}, "handle=false session=false get=false wrapper=false/false result=false relatedInfo=false plain-result=createTime,id,ownerXuid,sessionRef,titleId,type,version",
		"handle=true session=true get=true wrapper=true/true result=true relatedInfo=true plain-result=createTime,extension,id,ownerXuid,sessionRef,titleId,type,version"},
	{variantAbsoluteLocations, func(h *harness) string {
		name := h.joined("user1")
		w := h.do(http.MethodPost, "/handles", "user1", h.activityBody(name))
		id, _ := responseJSON(h.t, w)["id"].(string)
		s := h.do(http.MethodGet, "/handles/"+id+"/session", "user1", nil)
		p := h.do(http.MethodPut, h.sessionPath(name), "user1", h.joinBody("user1"))
		return strings.NewReplacer(id, "{id}", h.sessionPath(name), "{session}").Replace(strings.Join([]string{
			w.Header().Get("Location"), w.Header().Get("Content-Location"), s.Header().Get("Content-Location"), p.Header().Get("Content-Location"),
		}, " "))
	}, "/handles/{id} /handles/{id} {session} {session}",
		"http://example.com/handles/{id} http://example.com/handles/{id} {session} {session}"},
	{variantJSONCharset, func(h *harness) string {
		name := h.joined("user1")
		return h.do(http.MethodGet, h.sessionPath(name), "user1", nil).Header().Get("Content-Type") + " | " +
			h.do(http.MethodPost, "/handles/query", "user1", h.xuidsQuery("user1")).Header().Get("Content-Type") + " | " +
			h.do(http.MethodGet, "/handles/"+uuid.NewString(), "user1", nil).Header().Get("Content-Type")
	}, "application/json | application/json | text/plain; charset=utf-8",
		"application/json; charset=utf-8 | application/json; charset=utf-8 | text/plain; charset=utf-8"},
	{variantErrorCharset, func(h *harness) string {
		w := h.do(http.MethodGet, "/handles/"+uuid.NewString(), "user1", nil)
		body := strings.SplitN(w.Body.String(), " ", 2)[0]
		return fmt.Sprintf("%d %s %s", w.Code, w.Header().Get("Content-Type"), body)
	}, "404 text/plain; charset=utf-8 handle", "404 text/plain; charset=utf-8 MPSD:"},
	{variantGzip, func(h *harness) string {
		name := h.joined("user1")
		plain := h.do(http.MethodGet, h.sessionPath(name), "user1", nil)
		gz := h.do(http.MethodGet, h.sessionPath(name), "user1", nil, "Accept-Encoding", "gzip, deflate")
		e404 := h.do(http.MethodGet, "/handles/"+uuid.NewString(), "user1", nil, "Accept-Encoding", "gzip")
		return fmt.Sprintf("plain=%q gzip=%q vary=%q same=%v error=%q %v",
			plain.Header().Get("Content-Encoding"), gz.Header().Get("Content-Encoding"), gz.Header().Get("Vary"),
			responseJSON(h.t, gz)["branch"] == responseJSON(h.t, plain)["branch"],
			e404.Header().Get("Content-Encoding"), strings.Contains(responseBody(h.t, e404), "not found"))
	}, `plain="" gzip="" vary="" same=true error="" true`, `plain="" gzip="gzip" vary="Accept-Encoding" same=true error="gzip" true`},
	{variantReverseResultOrder, func(h *harness) string {
		for _, who := range []string{"user1", "user2", "user3"} {
			h.createHandle(who, h.activityBody(h.joined(who)))
		}
		owners := func(qs string) string {
			var out []string
			for _, r := range h.query("user1", qs, h.xuidsQuery("user1", "user2", "user3")) {
				for _, who := range []string{"user1", "user2", "user3"} {
					if r["ownerXuid"] == h.xuid(who) {
						out = append(out, who)
					}
				}
			}
			return strings.Join(out, ",")
		}
		return owners("") + " take=1:" + owners("?take=1")
	}, "user1,user2,user3 take=1:user1", "user3,user2,user1 take=1:user3"},
	{variantTakeZeroUnlimited, func(h *harness) string {
		h.createHandle("user1", h.activityBody(h.joined("user1")))
		h.createHandle("user2", h.activityBody(h.joined("user2")))
		return fmt.Sprintf("take=0:%d take=1:%d none:%d", len(h.query("user1", "?take=0", h.xuidsQuery("user1", "user2"))),
			len(h.query("user1", "?take=1", h.xuidsQuery("user1", "user2"))), len(h.query("user1", "", h.xuidsQuery("user1", "user2"))))
	}, "take=0:0 take=1:1 none:2", "take=0:2 take=1:1 none:2"},
	{variantQueryFiltersIgnored, func(h *harness) string {
		name := h.joined("user1")
		h.createHandle("user1", h.activityBody(name))
		priv := uniqueName("private")
		h.putSession("user2", priv, `{"constants":{"system":{"visibility":"private"}},"members":{"me":{}}}`, http.StatusCreated)
		h.createHandle("user2", h.activityBody(priv))
		q := h.xuidsQuery("user1", "user2")
		n := func(qs string) int { return len(h.query("user1", qs, q)) }
		return fmt.Sprintf("all=%d keyword=%d xuid=%d visibility=%d version=%d | %s", n(""), n("?keyword=nomatch"), n("?xuid="+h.xuid("user3")),
			n("?visibility=visible"), n("?version=0"), codes(
				h.do(http.MethodPost, "/handles/query?take=101", "user1", q),
				h.do(http.MethodPost, "/handles/query?private=true", "user1", q),
				h.do(http.MethodPost, "/handles/query?keyword=", "user1", q),
			))
	}, "all=1 keyword=0 xuid=0 visibility=0 version=0 | 400 403 400", "all=2 keyword=2 xuid=2 visibility=2 version=2 | 400 403 400"},
	{variantOwnQueryWithoutXuid, func(h *harness) string {
		return codes(
			h.do(http.MethodPost, "/handles/query?private=true", "user1", h.xuidsQuery("user1")),
			h.do(http.MethodPost, "/handles/query?reservations=true", "user1", h.xuidsQuery("user1")),
			h.do(http.MethodPost, "/handles/query?private=true", "user1", h.xuidsQuery("user1", "user2")),
			h.do(http.MethodPost, "/handles/query?private=true", "user1", h.xuidsQuery("user2")),
			h.do(http.MethodPost, "/handles/query?private=true", "user1", h.peopleQuery("people", "user1")),
			h.do(http.MethodPost, "/handles/query?private=true&xuid="+h.xuid("user2"), "user1", h.xuidsQuery("user1")),
		)
	}, "403 403 403 403 403 403", "200 200 403 403 403 403"},
	{variantInactiveNeedsXuid, func(h *harness) string {
		q := h.xuidsQuery("user1")
		return codes(
			h.do(http.MethodPost, "/handles/query?inactive=true", "user1", q),
			h.do(http.MethodPost, "/handles/query?reservations=true", "user1", q),
			h.do(http.MethodPost, "/handles/query?inactive=true&xuid="+h.xuid("user1"), "user1", q),
			h.do(http.MethodPost, "/handles/query?reservations=true&xuid="+h.xuid("user1"), "user1", q),
			h.do(http.MethodPost, "/handles/query?inactive=false", "user1", q),
		)
	}, "200 403 200 200 200", "400 400 200 200 200"},
	{variantVersionMajor, func(h *harness) string {
		q := h.xuidsQuery("user1")
		return codes(
			h.do(http.MethodPost, "/handles/query?version=1", "user1", q),
			h.do(http.MethodPost, "/handles/query?version=2", "user1", q),
			h.do(http.MethodPost, "/handles/query?version=7", "user1", q),
			h.do(http.MethodPost, "/handles/query?version=8", "user1", q),
			h.do(http.MethodPost, "/handles/query?version=5", "user1", q, "X-Xbl-Contract-Version", "105"),
		)
	}, "200 200 200 400 200", "200 400 400 400 400"},
	{variantUpgradeContract107, func(h *harness) string {
		var out []string
		for _, cv := range []string{"104", "105", "107"} {
			name := uniqueName("cv")
			w := h.do(http.MethodPut, h.sessionPath(name), "user1", h.joinBody("user1"), "X-Xbl-Contract-Version", cv)
			doc := responseJSON(h.t, w)
			_, timeouts := path(doc, "constants", "system").(map[string]any)["timeouts"]
			out = append(out, fmt.Sprintf("%s:%v/%v", cv, doc["contractVersion"], timeouts))
		}
		return strings.Join(out, " ")
	}, "104:104/true 105:105/true 107:107/false", "104:104/true 105:107/false 107:107/false"},
	{variantLowercaseSessionLiteral, func(h *harness) string {
		name := h.joined("user1")
		id := h.createHandle("user1", h.activityBody(name))
		_, etag := h.getSession("user1", name)
		var out []string
		for _, w := range []*httptest.ResponseRecorder{
			h.do(http.MethodGet, h.sessionPath(name), "user1", nil),
			h.do(http.MethodGet, "/handles/"+id+"/session", "user1", nil),
			h.do(http.MethodGet, "/handles/"+id+"/session", "user1", nil, "If-None-Match", etag),
			h.do(http.MethodPut, "/handles/"+id+"/session", "user1", `{}`),
			h.do(http.MethodPut, h.sessionPath(name), "user1", `{}`),
		} {
			out = append(out, strings.Split(w.Header().Get("Content-Location"), "/")[3])
		}
		return strings.Join(out, " ")
	}, "sessionTemplates sessionTemplates sessionTemplates sessionTemplates sessionTemplates",
		"sessiontemplates sessiontemplates sessiontemplates sessiontemplates sessiontemplates"},
	{variantInviteRequiresSession, func(h *harness) string {
		name := h.joined("user1")
		ghost := h.do(http.MethodPost, "/handles", "user1", h.inviteBody(uniqueName("ghost"), h.xuid("user2")))
		return fmt.Sprintf("%d %s | %s", ghost.Code, ghost.Header().Get("Content-Type"),
			codes(h.do(http.MethodPost, "/handles", "user1", h.inviteBody(name, h.xuid("user2")))))
	}, "201 application/json | 201", "404 text/plain; charset=utf-8 | 201"},
	{variantSearchAnswers200, func(h *harness) string {
		name := h.joined("user1")
		w := h.do(http.MethodPost, "/handles", "user1", h.body("search-handle", map[string]any{"SCID": h.env.SCID, "TEMPLATE": h.env.Templates.Primary, "SESSION": name}))
		doc := responseJSON(h.t, w)
		return fmt.Sprintf("%d %v %v | %s", w.Code, doc["type"], path(doc, "searchAttributes", "tags") != nil,
			codes(h.do(http.MethodPost, "/handles", "user1", h.activityBody(name))))
	}, "201 search true | 201", "200 search true | 201"},
	{variantNonOwnerInvite404, func(h *harness) string {
		return nonOwnerInviteCodes(h)
	}, "403 201 201", "404 201 201"},
}

// nonOwnerInviteCodes: on a hasOwners session created by user1 and joined by user2, the
// statuses of an invite by the non-owner user2, by the owner user1, and by user2 on a session
// whose policy allows non-owner invites.
func nonOwnerInviteCodes(h *harness) string {
	owned := uniqueName("owned")
	h.putSession("user1", owned, `{"constants":{"system":{"capabilities":{"hasOwners":true}}},"members":{"me":{}}}`, http.StatusCreated)
	h.join("user2", owned)
	open := uniqueName("open")
	h.putSession("user1", open, `{"constants":{"system":{"capabilities":{"hasOwners":true},"ownershipPolicies":{"allowNonOwnerInviteHandles":true}}},"members":{"me":{}}}`, http.StatusCreated)
	h.join("user2", open)
	return codes(h.do(http.MethodPost, "/handles", "user2", h.inviteBody(owned, h.xuid("user3"))),
		h.do(http.MethodPost, "/handles", "user1", h.inviteBody(owned, h.xuid("user3"))),
		h.do(http.MethodPost, "/handles", "user2", h.inviteBody(open, h.xuid("user3"))))
}

// Each variant shows its behaviour, which differs from the reference behaviour.
func TestVariantBehaviours(t *testing.T) {
	t.Parallel()
	probed := map[string]bool{}
	for _, p := range variantProbes {
		probed[p.name] = true
	}
	for _, v := range Variants() {
		if !probed[v.Name] {
			t.Errorf("variant %s has no behaviour probe", v.Name)
		}
	}
	checkProbes(t, variantProbes, func(name string) func(*Config) {
		return func(c *Config) { c.Variants = []string{name} }
	})
}

// Go's HTTP client asks for gzip itself and decompresses the gzip variant's bodies
// transparently, so a harness needs nothing special for it.
func TestGzipVariantThroughGoClient(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *Config) { c.Variants = []string{variantGzip} })
	srv := httptest.NewServer(h.emu)
	defer srv.Close()
	name := uniqueName("gzip")
	req, err := http.NewRequest(http.MethodPut, srv.URL+h.sessionPath(name), bytes.NewReader(h.joinBody("user1")))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Xbl-Contract-Version", "107")
	req.Header.Set("Authorization", h.token("user1"))
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatalf("body not decoded transparently: %v", err)
	}
	if resp.StatusCode != http.StatusCreated || !resp.Uncompressed || doc["branch"] == nil {
		t.Fatalf("status %d, uncompressed %v, body %v", resp.StatusCode, resp.Uncompressed, doc)
	}
}
