// Package emulator is an in-memory reference implementation of the Xbox Live Multiplayer
// Session Directory (MPSD) handles API and the session endpoints the handles depend on.
//
// It implements the project's contract stances (docs/architecture.md, "Emulator behaviour"):
// every request is authenticated with the emulator's signed test tokens (internal/xbltoken),
// must carry a supported X-Xbl-Contract-Version, and gets a text/plain message on every error.
// All state lives in memory behind one mutex, so an *Emulator is safe for concurrent use.
//
// Config.Faults switches on deliberate defects, each breaking exactly one rule of the catalog,
// so the conformance suites can prove they notice them (see Faults). Config.Variants switches
// on behaviours the contract allows besides the reference one, so the suites can prove their
// documented-profile specs accept every conformant service (see Variants). Both act only
// through the named decision points of decisions.go.
package emulator

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mpsdconf/mpsdconf/fixtures"
	"github.com/mpsdconf/mpsdconf/internal/xbltoken"
)

// Defaults applied by New when the corresponding Config field is zero.
const (
	// DefaultMaxBodyBytes is the request body limit when Config.MaxBodyBytes is 0 (1 MiB).
	DefaultMaxBodyBytes int64 = 1 << 20
	// DefaultInviteLifetime is how long an invite handle lives when Config.InviteLifetime is 0.
	DefaultInviteLifetime = 24 * time.Hour
	// DefaultMaxMembersCount is a template's member limit when Template.MaxMembersCount is 0.
	DefaultMaxMembersCount = 8
	// DefaultVisibility is a template's visibility when Template.Visibility is empty.
	DefaultVisibility = "open"
)

// Config configures an Emulator. Only TokenKey is required.
type Config struct {
	// TokenKey is the HMAC key the xbltoken test tokens are signed with; required.
	TokenKey []byte
	// ServiceConfigs lists the SCIDs the emulator knows and their session templates.
	// Requests naming any other SCID or template answer 404.
	ServiceConfigs []ServiceConfig
	// SocialGraph maps a XUID to its monikers ("people", "favorites") and the XUIDs listed
	// under each; POST /handles/query resolves owners.people through it.
	SocialGraph map[string]map[string][]string
	// MaxBodyBytes is the largest accepted request body; larger bodies answer 413.
	// Zero means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// InviteLifetime is added to an invite handle's createTime to give its expiration.
	// Zero means DefaultInviteLifetime.
	InviteLifetime time.Duration
	// Faults names the deliberate defects to switch on (see Faults); an unknown name makes New
	// fail.
	Faults []string
	// Variants names the behaviours the contract allows that the emulator should show instead
	// of its reference behaviour (see Variants); an unknown name makes New fail.
	Variants []string
	// Now is the emulator's clock; nil means time.Now.
	Now func() time.Time
	// Inventory switches on GET /_emulator/inventory (InventoryPath), which answers the
	// Inventory as JSON without authentication, for tests and debugging. When false the path
	// is an unknown resource like any other.
	Inventory bool
	// ThrottleEvery, when above zero, answers every ThrottleEvery-th request 429 Too Many
	// Requests with Retry-After (ThrottleRetryAfter, whole seconds) without applying it, as a
	// throttled MPSD does; for checking that clients wait and retry. It is not a fault: the
	// contract allows throttling.
	ThrottleEvery int
	// ThrottleRetryAfter is the Retry-After of throttled requests (default 1s).
	ThrottleRetryAfter time.Duration
}

// ServiceConfig is one service configuration (SCID) and the session templates it defines.
type ServiceConfig struct {
	// SCID is the service configuration id, a GUID. It is matched case-insensitively.
	SCID string
	// Templates are the session templates sessions may be created under.
	Templates []Template
}

// Template is a session template of a ServiceConfig.
type Template struct {
	// Name is the template name ([A-Za-z0-9._-], 1..99), matched case-insensitively.
	Name string
	// MaxMembersCount is the default constants.system.maxMembersCount (1..100); 0 means 8.
	MaxMembersCount int
	// Visibility is the default constants.system.visibility: open, visible or private;
	// empty means open.
	Visibility string
}

// ConfigFromEnvironment returns the emulator configuration for a test world: the
// environment's SCID with its primary and secondary templates (defaults: open, 8 members) and
// its social graph translated from identity names to XUIDs. Identities without a XUID (server
// principals) are left out of the graph.
func ConfigFromEnvironment(env fixtures.Environment, tokenKey []byte) Config {
	templates := []Template{{Name: env.Templates.Primary}}
	if env.Templates.Secondary != "" && !strings.EqualFold(env.Templates.Secondary, env.Templates.Primary) {
		templates = append(templates, Template{Name: env.Templates.Secondary})
	}
	// The social graph is mirrored for every parallel worker's identity set (see
	// fixtures.Environment.ForWorker), so workers running against one emulator each see theirs.
	graph := map[string]map[string][]string{}
	for k := 0; k < fixtures.MaxWorkers; k++ {
		world, err := env.ForWorker(k)
		if err != nil {
			break
		}
		addSocialGraph(graph, world)
	}
	key := append([]byte(nil), tokenKey...)
	return Config{
		TokenKey:       key,
		ServiceConfigs: []ServiceConfig{{SCID: env.SCID, Templates: templates}},
		SocialGraph:    graph,
	}
}

// addSocialGraph adds the environment's social graph, by XUID, to graph.
func addSocialGraph(graph map[string]map[string][]string, env fixtures.Environment) {
	for owner, monikers := range env.SocialGraph {
		ownerXUID := env.Identities[owner].XUID
		if ownerXUID == "" {
			continue
		}
		out := map[string][]string{}
		for moniker, names := range monikers {
			xuids := []string{}
			for _, name := range names {
				if x := env.Identities[name].XUID; x != "" {
					xuids = append(xuids, x)
				}
			}
			out[moniker] = xuids
		}
		graph[ownerXUID] = out
	}
}

// Emulator is the in-memory MPSD. Create it with New; it is an http.Handler.
type Emulator struct {
	tokenKey       []byte
	scids          map[string]*scidConfig // lower-cased SCID -> configuration
	social         map[string]map[string][]string
	maxBody        int64
	inviteLifetime time.Duration
	faults         map[string]bool
	variants       map[string]bool
	inventory      bool
	clock          func() time.Time
	store          *store
	handler        http.Handler
}

// scidConfig is a validated ServiceConfig with its templates indexed by lower-cased name.
type scidConfig struct {
	scid      string
	templates map[string]Template
}

// New validates cfg and returns a ready emulator with empty state.
func New(cfg Config) (*Emulator, error) {
	if len(cfg.TokenKey) == 0 {
		return nil, errors.New("emulator: Config.TokenKey is required")
	}
	e := &Emulator{
		tokenKey:       append([]byte(nil), cfg.TokenKey...),
		scids:          map[string]*scidConfig{},
		social:         map[string]map[string][]string{},
		maxBody:        cfg.MaxBodyBytes,
		inviteLifetime: cfg.InviteLifetime,
		faults:         map[string]bool{},
		variants:       map[string]bool{},
		inventory:      cfg.Inventory,
		clock:          cfg.Now,
		store:          newStore(),
	}
	if e.maxBody == 0 {
		e.maxBody = DefaultMaxBodyBytes
	}
	if e.maxBody < 0 {
		return nil, fmt.Errorf("emulator: Config.MaxBodyBytes %d is negative", cfg.MaxBodyBytes)
	}
	if e.inviteLifetime == 0 {
		e.inviteLifetime = DefaultInviteLifetime
	}
	if e.inviteLifetime < 0 {
		return nil, fmt.Errorf("emulator: Config.InviteLifetime %s is negative", cfg.InviteLifetime)
	}
	if e.clock == nil {
		e.clock = time.Now
	}
	for i, sc := range cfg.ServiceConfigs {
		if !fixtures.IsGUID(sc.SCID) {
			return nil, fmt.Errorf("emulator: ServiceConfigs[%d].SCID %q is not a GUID", i, sc.SCID)
		}
		key := strings.ToLower(sc.SCID)
		if _, dup := e.scids[key]; dup {
			return nil, fmt.Errorf("emulator: ServiceConfigs[%d].SCID %q is configured twice", i, sc.SCID)
		}
		c := &scidConfig{scid: sc.SCID, templates: map[string]Template{}}
		for j, t := range sc.Templates {
			if !fixtures.IsSessionName(t.Name) {
				return nil, fmt.Errorf("emulator: ServiceConfigs[%d].Templates[%d].Name %q is not a template name", i, j, t.Name)
			}
			if t.MaxMembersCount == 0 {
				t.MaxMembersCount = DefaultMaxMembersCount
			}
			if t.MaxMembersCount < 1 || t.MaxMembersCount > maxMembersLimit {
				return nil, fmt.Errorf("emulator: template %q: MaxMembersCount %d is not in 1..%d", t.Name, t.MaxMembersCount, maxMembersLimit)
			}
			if t.Visibility == "" {
				t.Visibility = DefaultVisibility
			}
			if !validVisibility(t.Visibility) {
				return nil, fmt.Errorf("emulator: template %q: Visibility %q is not open, visible or private", t.Name, t.Visibility)
			}
			tk := strings.ToLower(t.Name)
			if _, dup := c.templates[tk]; dup {
				return nil, fmt.Errorf("emulator: template %q is configured twice for SCID %s", t.Name, sc.SCID)
			}
			c.templates[tk] = t
		}
		e.scids[key] = c
	}
	for owner, monikers := range cfg.SocialGraph {
		out := map[string][]string{}
		for moniker, xuids := range monikers {
			m := strings.ToLower(moniker)
			out[m] = append(out[m], xuids...)
		}
		e.social[owner] = out
	}
	for _, name := range cfg.Faults {
		if !knownFault(name) {
			return nil, fmt.Errorf("emulator: unknown fault %q (known: %s)", name, strings.Join(faultNames(), ", "))
		}
		e.faults[name] = true
	}
	for _, name := range cfg.Variants {
		if !knownVariant(name) {
			return nil, fmt.Errorf("emulator: unknown variant %q (known: %s)", name, strings.Join(variantNames(), ", "))
		}
		e.variants[name] = true
	}
	e.handler = withRecover(http.HandlerFunc(e.serve))
	if cfg.ThrottleEvery > 0 {
		e.handler = throttle(e.handler, cfg.ThrottleEvery, cfg.ThrottleRetryAfter)
	}
	return e, nil
}

// Handler returns the emulator as an http.Handler (the emulator itself).
func (e *Emulator) Handler() http.Handler { return e }

// ServeHTTP answers one MPSD request.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) { e.handler.ServeHTTP(w, r) }

// now is the emulator clock in UTC.
func (e *Emulator) now() time.Time { return e.clock().UTC() }

// call is one authenticated request on its way through a handler.
type call struct {
	r      *http.Request
	claims xbltoken.Claims
	cv     int      // contract version of the request
	body   []byte   // request body (PUT and POST only)
	params []string // path parameters, in order
}

// isServer reports whether the caller is a server principal.
func (c *call) isServer() bool { return c.claims.Server }

// isUser reports whether the caller is a user principal with a XUID claim.
func (c *call) isUser() bool { return !c.claims.Server && c.claims.XUID != "" }

// xuid is the caller's XUID claim (empty for a pure server principal).
func (c *call) xuid() string { return c.claims.XUID }

type handlerFunc func(e *Emulator, c *call) reply

// route is one path shape and the handlers of its methods. A pattern element "{}" is a
// parameter; every other element is a literal matched case-insensitively.
type route struct {
	pattern []string
	methods map[string]handlerFunc
	allow   string
}

var routes = buildRoutes([]route{
	{pattern: []string{"handles"}, methods: map[string]handlerFunc{http.MethodPost: (*Emulator).postHandle}},
	{pattern: []string{"handles", "query"}, methods: map[string]handlerFunc{http.MethodPost: (*Emulator).queryHandles}},
	{pattern: []string{"handles", "{}"}, methods: map[string]handlerFunc{
		http.MethodGet:    (*Emulator).getHandle,
		http.MethodDelete: (*Emulator).deleteHandle,
	}},
	{pattern: []string{"handles", "{}", "session"}, methods: map[string]handlerFunc{
		http.MethodGet: (*Emulator).getHandleSession,
		http.MethodPut: (*Emulator).putHandleSession,
	}},
	{pattern: []string{"serviceconfigs", "{}", "sessionTemplates", "{}", "sessions", "{}"}, methods: map[string]handlerFunc{
		http.MethodGet: (*Emulator).getSession,
		http.MethodPut: (*Emulator).putSession,
	}},
})

func buildRoutes(rs []route) []route {
	order := []string{http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete}
	for i := range rs {
		var allow []string
		for _, m := range order {
			if _, ok := rs[i].methods[m]; ok {
				allow = append(allow, m)
			}
		}
		rs[i].allow = strings.Join(allow, ", ")
	}
	return rs
}

// match finds the route for path. It returns nil when no route has the path's shape. Literals
// are matched case-insensitively unless exactCase is set (a fault: see
// faultCaseSensitivePathLiterals), when they must be spelt as in the pattern.
func match(path string, exactCase bool) (*route, []string) {
	if !strings.HasPrefix(path, "/") {
		return nil, nil
	}
	segs := strings.Split(path[1:], "/")
	for i := range routes {
		rt := &routes[i]
		if len(rt.pattern) != len(segs) {
			continue
		}
		var params []string
		ok := true
		for j, p := range rt.pattern {
			switch {
			case p == "{}":
				if segs[j] == "" {
					ok = false
				}
				params = append(params, segs[j])
			case exactCase && p != segs[j], !strings.EqualFold(p, segs[j]):
				ok = false
			}
			if !ok {
				break
			}
		}
		if ok {
			return rt, params
		}
	}
	return nil, nil
}

// serve is the request pipeline: auth, contract version, routing, body limit, handler, then
// the response is shaped (content types, wording, compression) and written. The opt-in
// inventory endpoint (Config.Inventory) is answered before any of it.
func (e *Emulator) serve(w http.ResponseWriter, r *http.Request) {
	if e.inventory && r.URL.Path == InventoryPath {
		e.serveInventory(w, r)
		return
	}
	e.send(w, r, e.dispatch(w, r))
}

// dispatch authenticates and routes the request and returns the handler's reply, or the
// error reply of the first check that fails.
func (e *Emulator) dispatch(w http.ResponseWriter, r *http.Request) reply {
	auth := r.Header.Get("Authorization")
	claims, err := xbltoken.Parse(e.tokenKey, auth, e.now())
	switch {
	case err == nil:
	case errors.Is(err, xbltoken.ErrMissing) && e.fault(faultAcceptMissingAuthorization):
		err = nil // served as an anonymous caller (zero claims)
	case errors.Is(err, xbltoken.ErrMalformed) && e.fault(faultMalformedAuthorization400):
		return errorReply(badRequest("bad request: %v", err))
	case errors.Is(err, xbltoken.ErrSignature) && e.fault(faultAcceptForgedToken):
		claims, err = unverifiedClaims(auth)
	}
	if err != nil {
		return errorReply(errorf(http.StatusUnauthorized, "unauthorized: %v", err)).with("WWW-Authenticate", xbltoken.Scheme)
	}
	cv, err := contractVersion(r.Header)
	if err == nil && cv == 104 && e.fault(faultRejectContractVersion104) {
		err = errors.New("missing or unsupported X-Xbl-Contract-Version header: 104 is not supported (supported: 105, 107)")
	}
	if err != nil {
		if !e.fault(faultSkipContractVersionCheck) {
			return errorReply(errorf(e.contractVersionErrorStatus(), "%v", err))
		}
		cv = lenientContractVersion
	}
	rt, params := match(r.URL.Path, e.fault(faultCaseSensitivePathLiterals))
	if rt == nil {
		return errorReply(notFound("no resource at %s", r.URL.Path))
	}
	h, ok := rt.methods[r.Method]
	if !ok {
		return errorReply(errorf(http.StatusMethodNotAllowed, "method %s is not allowed on %s; allowed: %s", r.Method, r.URL.Path, rt.allow)).
			with("Allow", rt.allow)
	}
	c := &call{r: r, claims: claims, cv: cv, params: params}
	if r.Method == http.MethodPut || r.Method == http.MethodPost {
		body, status, msg := e.readBody(w, r)
		if status != 0 {
			return errorReply(errorf(status, "%s", msg))
		}
		// A request without Content-Type is read as JSON (clients in production send none).
		if ct := r.Header.Get("Content-Type"); ct != "" {
			mt, _, err := mime.ParseMediaType(ct)
			if err != nil || mt != "application/json" {
				status := http.StatusBadRequest
				if e.fault(faultUnsupportedContentType415) {
					status = http.StatusUnsupportedMediaType
				}
				return errorReply(errorf(status, "Content-Type %q is not supported; request bodies must be application/json", ct))
			}
			if e.fault(faultRejectJSONWithoutCharset) && ct != "application/json; charset=utf-8" {
				return errorReply(badRequest("Content-Type %q is not supported; request bodies must be application/json; charset=utf-8", ct))
			}
		}
		c.body = body
	}
	return h(e, c)
}

// send shapes the reply (the response-wide decision points: content types, error wording,
// compression) and writes it.
func (e *Emulator) send(w http.ResponseWriter, r *http.Request, rp reply) {
	if e.fault(faultJSONServedAsTextPlain) && !rp.text && rp.body != nil {
		rp = rp.with("Content-Type", contentTypeText)
	}
	if e.fault(faultEmpty403Body) && rp.text && rp.status == http.StatusForbidden {
		rp = emptyReply(http.StatusForbidden)
	}
	if rp.text {
		rp.body = []byte(e.errorMessage(string(rp.body)))
	}
	header, body := rp.render()
	if !rp.text && body != nil && header.Get("Content-Type") == contentTypeJSON {
		header.Set("Content-Type", e.jsonContentType())
	}
	if len(body) > 0 && e.compresses(r) {
		if gz, err := gzipBytes(body); err == nil {
			body = gz
			header.Set("Content-Encoding", "gzip")
			header.Add("Vary", "Accept-Encoding")
		}
	}
	writeResponse(w, rp.status, header, body)
}

// unverifiedClaims decodes the claims of an emulator token without checking its signature.
// Only the accept-forged-token fault uses it.
func unverifiedClaims(header string) (xbltoken.Claims, error) {
	_, token, _ := strings.Cut(strings.TrimSpace(header), ";")
	payload, _, _ := strings.Cut(strings.TrimPrefix(token, "mpsdemu.v1."), ".")
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return xbltoken.Claims{}, xbltoken.ErrSignature
	}
	var c xbltoken.Claims
	if err := json.Unmarshal(raw, &c); err != nil || c.Validate() != nil {
		return xbltoken.Claims{}, xbltoken.ErrSignature
	}
	return c, nil
}

// readBody reads the request body within the configured limit. A non-zero status is an error.
func (e *Emulator) readBody(w http.ResponseWriter, r *http.Request) ([]byte, int, string) {
	tooLarge := fmt.Sprintf("request body is larger than %d bytes", e.maxBody)
	if r.ContentLength > e.maxBody {
		return nil, http.StatusRequestEntityTooLarge, tooLarge
	}
	if r.Body == nil {
		return nil, 0, ""
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, e.maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, http.StatusRequestEntityTooLarge, tooLarge
		}
		return nil, http.StatusBadRequest, "could not read the request body: " + err.Error()
	}
	return body, 0, ""
}

// Contract versions the emulator accepts.
var supportedContractVersions = map[int]bool{104: true, 105: true, 107: true}

// lenientContractVersion is used when the contract version check is faulted off.
const lenientContractVersion = 107

// contractVersion reads and checks X-Xbl-Contract-Version.
func contractVersion(h http.Header) (int, error) {
	raw := strings.TrimSpace(h.Get("X-Xbl-Contract-Version"))
	const msg = "missing or unsupported X-Xbl-Contract-Version header: "
	if raw == "" {
		return 0, errors.New(msg + "the header is required (supported: 104, 105, 107)")
	}
	v, err := strconv.Atoi(raw)
	if err != nil || !isDigits(raw) {
		return 0, fmt.Errorf(msg+"%q is not a number (supported: 104, 105, 107)", raw)
	}
	if !supportedContractVersions[v] {
		return 0, fmt.Errorf(msg+"%d is not supported (supported: 104, 105, 107)", v)
	}
	return v, nil
}

// isDigits reports whether s is a non-empty run of ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// withRecover turns a panic into a 500 text/plain response. It is a last resort: the tests
// (including fuzzing) show ordinary input never reaches it.
func withRecover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			rec := recover()
			if rec == nil {
				return
			}
			if rec == http.ErrAbortHandler { //nolint:errorlint // sentinel compared as net/http does
				panic(rec)
			}
			writeError(w, http.StatusInternalServerError, fmt.Sprintf("internal emulator error: %v", rec))
		}()
		next.ServeHTTP(w, r)
	})
}
