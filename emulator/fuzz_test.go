package emulator

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/mpsdconf/mpsdconf/schemas"
)

// The fuzz targets prove that no request body or query string makes the emulator answer
// 5xx (or panic, which the recover middleware would turn into a 500), that every error is a
// text/plain message, and that every success body is valid against its JSON Schema. There is
// one target per request parser:
//
//	FuzzHandleCreate      POST /handles body
//	FuzzQueryBody         POST /handles/query body
//	FuzzQuery             POST /handles/query query string (the only endpoint that reads one)
//	FuzzSessionPut        PUT /serviceconfigs/.../sessions/{name} body and If-Match/If-None-Match
//	FuzzHandleSessionPut  PUT /handles/{id}/session body and If-Match/If-None-Match
//
// Their curated corpora in testdata/fuzz/ run as ordinary test cases with go test; `make fuzz`
// fuzzes each for a few seconds. Run one for longer with e.g.
//
//	go test -run '^$' -fuzz '^FuzzHandleCreate$' -fuzztime 30s ./emulator/

const fuzzSession = "fuzz-session"

// fuzzHarness is an emulator with an open session (user1 active, user2 reserved) under both
// templates, so fuzzed requests reach the deep paths (membership, owners, replacement).
func fuzzHarness(t *testing.T) *harness {
	h := newHarness(t)
	for _, tmpl := range []string{h.env.Templates.Primary, h.env.Templates.Secondary} {
		w := h.do(http.MethodPut, h.templatePath(tmpl, fuzzSession), "user1",
			`{"constants":{"system":{"capabilities":{"hasOwners":true}}},"members":{"me":{"properties":{"system":{"active":true}}},"reserve_0":{"constants":{"system":{"xuid":"`+h.xuid("user2")+`"}}}}}`)
		if w.Code != http.StatusCreated {
			t.Fatalf("fuzz setup: %d %s", w.Code, w.Body.String())
		}
	}
	return h
}

func checkNo5xx(t *testing.T, w *httptest.ResponseRecorder, what string) {
	t.Helper()
	if w.Code >= 500 {
		t.Fatalf("%s: status %d: %s", what, w.Code, w.Body.String())
	}
}

// checkFuzzReply is checkNo5xx plus the cheap invariants every answer keeps: an error with a
// body is a text/plain message (except a 412, which carries the current session as JSON),
// and a 2xx body is valid against schema (when schema is not empty).
func checkFuzzReply(t *testing.T, w *httptest.ResponseRecorder, what, schema string) {
	t.Helper()
	checkNo5xx(t, w, what)
	ct := w.Header().Get("Content-Type")
	switch {
	case w.Code >= 400 && w.Code != http.StatusPreconditionFailed && w.Body.Len() > 0:
		if ct != contentTypeText {
			t.Fatalf("%s: %d error with Content-Type %q, want %q", what, w.Code, ct, contentTypeText)
		}
	case w.Code >= 200 && w.Code < 300 && w.Body.Len() > 0 && schema != "":
		if !strings.HasPrefix(ct, "application/json") {
			t.Fatalf("%s: %d with Content-Type %q, want application/json", what, w.Code, ct)
		}
		if err := schemas.Validate(schema, w.Body.Bytes()); err != nil {
			t.Fatalf("%s: %d body breaks the %s schema: %v\n%s", what, w.Code, schema, err, w.Body.String())
		}
	}
}

// fuzzWho maps a fuzzed identity name to one of the test world's (default user1).
func fuzzWho(h *harness, who string) string {
	if _, ok := h.env.Identities[who]; !ok {
		return "user1"
	}
	return who
}

func FuzzHandleCreate(f *testing.F) {
	env := defaultEnv()
	scid, tmpl := env.SCID, env.Templates.Primary
	ref := `"sessionRef":{"scid":"` + scid + `","templateName":"` + tmpl + `","name":"` + fuzzSession + `"}`
	seeds := []string{
		`{"version":1,"type":"activity",` + ref + `}`,
		`{"version":1,"type":"invite",` + ref + `,"invitedXuid":"2814600000000102","inviteAttributes":{"titleId":"1934211234","context":"a%20b"}}`,
		`{"version":1,"type":"transfer",` + ref + `,"originSessionRef":{"scid":"` + scid + `","templateName":"GameSession","name":"x"}}`,
		`{"version":1,"type":"search",` + ref + `,"searchAttributes":{"tags":["a"],"strings":{"m":"c"},"numbers":{"s":1e3}}}`,
		`{"version":1e0,"type":"activity","sessionRef":{"scid":null}}`,
		`{"version":1,"type":"invite",` + ref + `,"invitedXuid":"99999999999999999999999","inviteAttributes":{"titleId":"-0"}}`,
		`[1,2,3]`, `null`, `"x"`, `{}`, `{"version":[]}`, `{"a":{"b":{"c":{"d":[[[[]]]]}}}}`,
		`{"version":1,"type":"activity",` + ref + `}{"trailing":true}`,
		"{\"version\":1,\"type\":\"\xff\xfe\"}",
		strings.Repeat("[", 20000),
	}
	for _, s := range seeds {
		f.Add([]byte(s), "user1", "107")
	}
	f.Add([]byte(seeds[0]), "server", "105")
	f.Add([]byte(seeds[1]), "user2", "104")
	f.Fuzz(func(t *testing.T, body []byte, who, cv string) {
		h := fuzzHarness(t)
		who = fuzzWho(h, who)
		w := h.do(http.MethodPost, "/handles", who, body, "X-Xbl-Contract-Version", sanitizeHeader(cv))
		checkFuzzReply(t, w, "POST /handles", "handle")
		if w.Code == http.StatusCreated {
			var doc map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
				t.Fatalf("201 body is not JSON: %v", err)
			}
			id, _ := doc["id"].(string)
			if !lowerGUIDRE.MatchString(id) || w.Header().Get("Location") != "/handles/"+id {
				t.Fatalf("201 without a proper id/Location: %s %v", w.Body.String(), w.Header())
			}
			// Whatever was created can be read, written through and deleted without a 5xx.
			for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
				p := "/handles/" + id + "/session"
				if m == http.MethodDelete {
					p = "/handles/" + id
				}
				schema := "session"
				if m == http.MethodDelete {
					schema = ""
				}
				checkFuzzReply(t, h.do(m, p, who, body), m+" "+p, schema)
			}
		}
		// The same bytes as a session write and a query body.
		checkFuzzReply(t, h.do(http.MethodPut, h.sessionPath(fuzzSession), who, body), "PUT session", "session")
		checkFuzzReply(t, h.do(http.MethodPost, "/handles/query", who, body), "POST /handles/query", "handles-query-response")
		checkStoreInvariants(t, h.emu)
	})
}

func FuzzSessionPut(f *testing.F) {
	seeds := []string{
		`{"members":{"me":{"constants":{"system":{"xuid":"2814600000000101","initialize":true}},"properties":{"system":{"active":true}}}}}`,
		`{"members":{"me":null}}`,
		`{"members":{"reserve_0":{"constants":{"system":{"xuid":"2814600000000103"}}},"reserve_1":{"constants":{"system":{"xuid":"1"}}}}}`,
		`{"members":{"0":null,"1":{"properties":{"custom":{"a":null}}}}}`,
		`{"constants":{"system":{"maxMembersCount":1,"visibility":"private","capabilities":{"hasOwners":true},"ownershipPolicies":{"migration":"oldest"}}}}`,
		`{"properties":{"system":{"owners":[0,1,99999999999999999999],"turn":[-1],"keywords":["a"],"closed":true}}}`,
		`{"servers":{"mm":{"constants":{},"properties":{"system":{}}},"x":null}}`,
		`{"members":{"99999999999999999999":null,"reserve_99999999999999999999":{}}}`,
		`{"properties":{"custom":{"deep":{"deeper":{"deepest":[1,{"x":null}]}}}}}`,
		`{}`, `{"constants":null}`, `{"members":{"me":{"properties":{"system":{"active":true,"ready":true}}}}}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s), "user1", "", "")
	}
	f.Add([]byte(seeds[0]), "user2", "*", "")
	f.Add([]byte(seeds[2]), "server", "", "*")
	f.Add([]byte(seeds[1]), "user3", `"abc"`, `W/"x"`)
	f.Fuzz(func(t *testing.T, body []byte, who, ifMatch, ifNoneMatch string) {
		h := fuzzHarness(t)
		who = fuzzWho(h, who)
		hdrs := []string{"If-Match", sanitizeHeader(ifMatch), "If-None-Match", sanitizeHeader(ifNoneMatch)}
		for _, p := range []string{h.sessionPath(fuzzSession), h.sessionPath("fuzz-new"), h.templatePath(h.env.Templates.Secondary, fuzzSession)} {
			checkFuzzReply(t, h.do(http.MethodPut, p, who, body, hdrs...), "PUT "+p, "session")
			checkFuzzReply(t, h.do(http.MethodGet, p, who, nil), "GET "+p, "session")
		}
		// Activity handles keep working after whatever the write did.
		checkFuzzReply(t, h.do(http.MethodPost, "/handles", who, h.activityBody(fuzzSession)), "POST activity", "handle")
		checkStoreInvariants(t, h.emu)
	})
}

// FuzzQuery is the query-string target of POST /handles/query (with a fuzzed body too, so
// the order of the query-string, 403 and body checks is exercised).
func FuzzQuery(f *testing.F) {
	env := defaultEnv()
	people := `{"type":"activity","scid":"` + env.SCID + `","owners":{"people":{"moniker":"People","monikerXuid":"2814600000000101"}}}`
	xuids := `{"type":"activity","scid":"` + env.SCID + `","owners":{"xuids":["2814600000000101","2814600000000102"]}}`
	search := `{"type":"search","scid":"` + env.SCID + `","templateName":"LobbySession","filter":"x eq 1"}`
	seeds := []struct{ qs, body string }{
		{"", people}, {"include=relatedInfo,customProperties", xuids}, {"take=0", xuids}, {"take=100&version=7", people},
		{"private=true&xuid=2814600000000101", xuids}, {"reservations=true", xuids}, {"visibility=private&private=true", xuids},
		{"keyword=ctf&inactive=true", xuids}, {"take=-1", people}, {"take=%zz", people}, {"include=,,,", people},
		{"xuid=18446744073709551616", xuids}, {"version=9223372036854775808", xuids}, {"take=99999999999999999999", xuids},
		{"include=relatedInfo,roleInfo,customProperties", search}, {";;&&==", "{"}, {"", `{"type":"activity","owners":{"xuids":[null]}}`},
	}
	for _, s := range seeds {
		f.Add(s.qs, []byte(s.body), "user1")
	}
	f.Add("private=true", []byte(people), "server")
	f.Fuzz(func(t *testing.T, qs string, body []byte, who string) {
		h := fuzzHarness(t)
		who = fuzzWho(h, who)
		h.createHandle("user1", h.activityBody(fuzzSession))
		target := "/handles/query"
		if qs != "" {
			target += "?" + sanitizeQuery(qs)
		}
		w := h.do(http.MethodPost, target, who, body)
		checkFuzzReply(t, w, "POST "+target, "handles-query-response")
		if w.Code == http.StatusOK {
			var doc struct {
				Results []map[string]any `json:"results"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil || doc.Results == nil {
				t.Fatalf("200 body is not {results:[...]}: %v %s", err, w.Body.String())
			}
			if len(doc.Results) > maxQueryResults {
				t.Fatalf("%d results", len(doc.Results))
			}
		}
	})
}

// FuzzQueryBody is the body target of POST /handles/query: a fuzzed body under one of a few
// valid query strings, against a store holding an activity and an invite handle.
func FuzzQueryBody(f *testing.F) {
	env := defaultEnv()
	seeds := []string{
		`{"type":"activity","scid":"` + env.SCID + `","owners":{"people":{"moniker":"people","monikerXuid":"2814600000000101"}}}`,
		`{"type":"activity","scid":"` + env.SCID + `","owners":{"people":{"moniker":"FAVORITES","monikerXuid":"2814600000000102"}}}`,
		`{"type":"activity","scid":"` + env.SCID + `","owners":{"xuids":["2814600000000101","2814600000000102","2814600000000103"]}}`,
		`{"type":"activity","scid":"` + strings.ToUpper(env.SCID) + `","owners":{"xuids":["2814600000000101"]}}`,
		`{"type":"search","scid":"` + env.SCID + `","templateName":"` + env.Templates.Primary + `","filter":"x eq 1","orderBy":"y"}`,
		`{"type":"invite","scid":"` + env.SCID + `","owners":{"xuids":["2814600000000101"]}}`,
		`{"type":"activity","scid":"` + env.SCID + `","owners":{"people":{"moniker":"people","monikerXuid":"1"},"xuids":["1"]}}`,
		`{"type":"activity","scid":"` + env.SCID + `","owners":{"xuids":[]}}`,
		`{"type":"activity","scid":"` + env.SCID + `","owners":{"xuids":[2814600000000101]}}`,
		`{"type":"activity","scid":"` + env.SCID + `","owners":{"people":{"moniker":"people","monikerXuid":"18446744073709551616"}}}`,
		`{"type":"activity","scid":"` + env.SCID + `","owners":{},"extra":true}`,
		`{"type":null}`, `{}`, `[]`, `null`, `{"type":"activity"`, "",
	}
	for i, s := range seeds {
		f.Add([]byte(s), "user1", uint8(i))
	}
	f.Add([]byte(seeds[0]), "server", uint8(0))
	f.Fuzz(func(t *testing.T, body []byte, who string, qs uint8) {
		queries := []string{"", "?include=relatedInfo,customProperties", "?take=1", "?include=session,roleInfo&version=7", "?private=true"}
		h := fuzzHarness(t)
		who = fuzzWho(h, who)
		h.createHandle("user1", h.activityBody(fuzzSession))
		h.createHandle("user1", h.inviteBody(fuzzSession, h.xuid("user3")))
		target := "/handles/query" + queries[int(qs)%len(queries)]
		w := h.do(http.MethodPost, target, who, body)
		checkFuzzReply(t, w, "POST "+target, "handles-query-response")
		if w.Code == http.StatusOK {
			var doc struct {
				Results []struct {
					Type string `json:"type"`
				} `json:"results"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
				t.Fatalf("200 body: %v", err)
			}
			for _, r := range doc.Results {
				if r.Type != handleActivity && r.Type != handleSearch {
					t.Fatalf("query answered a %q handle: %s", r.Type, w.Body.String())
				}
			}
		}
		checkStoreInvariants(t, h.emu)
	})
}

// FuzzHandleSessionPut is the body target of PUT /handles/{id}/session, through an activity
// handle of user1 and an invite handle for user3, with fuzzed If-Match and If-None-Match.
func FuzzHandleSessionPut(f *testing.F) {
	seeds := []string{
		`{"members":{"me":{"constants":{"system":{"xuid":"2814600000000103","initialize":true}},"properties":{"system":{"active":true}}}}}`,
		`{"members":{"me":{"properties":{"system":{"active":false}}}}}`,
		`{"members":{"me":null}}`,
		`{"members":{"me":{"properties":{"system":{"ready":true},"custom":{"k":[1,2]}}}}}`,
		`{"properties":{"custom":{"counter":1}}}`,
		`{"properties":{"system":{"closed":true,"owners":[0]}}}`,
		`{"constants":{"system":{"visibility":"private"}}}`,
		`{"members":{"0":null}}`,
		`{"members":{"reserve_1":{"constants":{"system":{"xuid":"2814600000000103"}}}}}`,
		`{"servers":{"gs":{"properties":{"system":{}}}}}`,
		`{}`, `null`, `[]`, `{"members":[]}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s), "user1", false, "", "")
		f.Add([]byte(s), "user3", true, "", "")
	}
	f.Add([]byte(seeds[0]), "user3", true, "*", "")
	f.Add([]byte(seeds[4]), "user1", false, `"0123456789abcdef0123456789abcdef"`, "")
	f.Add([]byte(seeds[4]), "server", false, "", "*")
	f.Fuzz(func(t *testing.T, body []byte, who string, invite bool, ifMatch, ifNoneMatch string) {
		h := fuzzHarness(t)
		who = fuzzWho(h, who)
		id := h.createHandle("user1", h.activityBody(fuzzSession))
		if invite {
			id = h.createHandle("user1", h.inviteBody(fuzzSession, h.xuid("user3")))
		}
		p := "/handles/" + id + "/session"
		w := h.do(http.MethodPut, p, who, body, "If-Match", sanitizeHeader(ifMatch), "If-None-Match", sanitizeHeader(ifNoneMatch))
		checkFuzzReply(t, w, "PUT "+p, "session")
		if (w.Code == http.StatusOK || w.Code == http.StatusCreated) && !etagRE.MatchString(w.Header().Get("ETag")) {
			t.Fatalf("PUT %s: %d without a strong ETag: %v", p, w.Code, w.Header())
		}
		checkFuzzReply(t, h.do(http.MethodGet, p, who, nil), "GET "+p, "session")
		checkStoreInvariants(t, h.emu)
	})
}

// sanitizeHeader makes an arbitrary string a legal header value (httptest rejects nothing,
// but real clients cannot send CR, LF or NUL).
func sanitizeHeader(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' || r == 0 {
			return -1
		}
		return r
	}, s)
}

// sanitizeQuery keeps a fuzzed query string parseable as a request target: characters a
// client would have to escape are escaped, the rest is left as fuzzed.
func sanitizeQuery(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '#' || r == ' ' || r < 0x20 || r == 0x7f || r > 0x7e:
			b.WriteString(url.QueryEscape(string(r)))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
