package emulator

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The fuzz targets prove that no request body or query string makes the emulator answer
// 5xx (or panic, which the recover middleware would turn into a 500). Run them with e.g.
//
//	go test -run '^$' -fuzz FuzzHandleCreate -fuzztime 30s ./emulator/

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

func checkNo5xx(t *testing.T, w interface{ Result() *http.Response }, what string) {
	t.Helper()
	res := w.Result()
	if res.StatusCode >= 500 {
		t.Fatalf("%s: status %d", what, res.StatusCode)
	}
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
		if _, ok := h.env.Identities[who]; !ok {
			who = "user1"
		}
		w := h.do(http.MethodPost, "/handles", who, body, "X-Xbl-Contract-Version", sanitizeHeader(cv))
		checkNo5xx(t, w, "POST /handles")
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
				checkNo5xx(t, h.do(m, p, who, body), m+" "+p)
			}
		}
		// The same bytes as a session write and a query body.
		checkNo5xx(t, h.do(http.MethodPut, h.sessionPath(fuzzSession), who, body), "PUT session")
		checkNo5xx(t, h.do(http.MethodPost, "/handles/query", who, body), "POST /handles/query")
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
		if _, ok := h.env.Identities[who]; !ok {
			who = "user1"
		}
		hdrs := []string{"If-Match", sanitizeHeader(ifMatch), "If-None-Match", sanitizeHeader(ifNoneMatch)}
		for _, p := range []string{h.sessionPath(fuzzSession), h.sessionPath("fuzz-new"), h.templatePath(h.env.Templates.Secondary, fuzzSession)} {
			checkNo5xx(t, h.do(http.MethodPut, p, who, body, hdrs...), "PUT "+p)
			checkNo5xx(t, h.do(http.MethodGet, p, who, nil), "GET "+p)
		}
		// Activity handles keep working after whatever the write did.
		checkNo5xx(t, h.do(http.MethodPost, "/handles", who, h.activityBody(fuzzSession)), "POST activity")
		checkStoreInvariants(t, h.emu)
	})
}

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
		if _, ok := h.env.Identities[who]; !ok {
			who = "user1"
		}
		h.createHandle("user1", h.activityBody(fuzzSession))
		target := "/handles/query"
		if qs != "" {
			target += "?" + sanitizeQuery(qs)
		}
		w := h.do(http.MethodPost, target, who, body)
		checkNo5xx(t, w, "POST "+target)
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
