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
// through the named decision points of the decisions_*.go files.
//
// A request goes through these files, in order:
//
//   - serve.go: authentication, contract version, routing (routes.go), body limit and
//     Content-Type, then the response is shaped and written (reply.go);
//   - validate_*.go: the request body and query string are parsed and checked (every 400);
//   - handlers_*.go: the handler of the route looks the request up in the store (store.go)
//     and applies it to the model (model_session.go, model_session_write.go,
//     model_handle.go);
//   - render.go: sessions, members and relatedInfo become JSON documents with their headers.
package emulator

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/mpsdconf/mpsdconf/fixtures"
)

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
	if err := e.applyDefaults(cfg); err != nil {
		return nil, err
	}
	if err := e.addServiceConfigs(cfg.ServiceConfigs); err != nil {
		return nil, err
	}
	e.indexSocialGraph(cfg.SocialGraph)
	if err := e.switchOn(cfg.Faults, cfg.Variants); err != nil {
		return nil, err
	}
	e.handler = withRecover(http.HandlerFunc(e.serve))
	if cfg.ThrottleEvery > 0 {
		e.handler = throttle(e.handler, cfg.ThrottleEvery, cfg.ThrottleRetryAfter)
	}
	return e, nil
}

// applyDefaults fills in the body limit, invite lifetime and clock where cfg leaves them
// zero, and rejects negative limits.
func (e *Emulator) applyDefaults(cfg Config) error {
	if e.maxBody == 0 {
		e.maxBody = DefaultMaxBodyBytes
	}
	if e.maxBody < 0 {
		return fmt.Errorf("emulator: Config.MaxBodyBytes %d is negative", cfg.MaxBodyBytes)
	}
	if e.inviteLifetime == 0 {
		e.inviteLifetime = DefaultInviteLifetime
	}
	if e.inviteLifetime < 0 {
		return fmt.Errorf("emulator: Config.InviteLifetime %s is negative", cfg.InviteLifetime)
	}
	if e.clock == nil {
		e.clock = time.Now
	}
	return nil
}

// addServiceConfigs validates the configured SCIDs and their templates and indexes them.
func (e *Emulator) addServiceConfigs(configs []ServiceConfig) error {
	for i, sc := range configs {
		if !fixtures.IsGUID(sc.SCID) {
			return fmt.Errorf("emulator: ServiceConfigs[%d].SCID %q is not a GUID", i, sc.SCID)
		}
		key := strings.ToLower(sc.SCID)
		if _, dup := e.scids[key]; dup {
			return fmt.Errorf("emulator: ServiceConfigs[%d].SCID %q is configured twice", i, sc.SCID)
		}
		c := &scidConfig{scid: sc.SCID, templates: map[string]Template{}}
		for j, t := range sc.Templates {
			t, err := validTemplate(i, j, t)
			if err != nil {
				return err
			}
			tk := strings.ToLower(t.Name)
			if _, dup := c.templates[tk]; dup {
				return fmt.Errorf("emulator: template %q is configured twice for SCID %s", t.Name, sc.SCID)
			}
			c.templates[tk] = t
		}
		e.scids[key] = c
	}
	return nil
}

// validTemplate checks template j of ServiceConfigs[i] and fills in its defaults.
func validTemplate(i, j int, t Template) (Template, error) {
	if !fixtures.IsSessionName(t.Name) {
		return t, fmt.Errorf("emulator: ServiceConfigs[%d].Templates[%d].Name %q is not a template name", i, j, t.Name)
	}
	if t.MaxMembersCount == 0 {
		t.MaxMembersCount = DefaultMaxMembersCount
	}
	if t.MaxMembersCount < 1 || t.MaxMembersCount > maxMembersLimit {
		return t, fmt.Errorf("emulator: template %q: MaxMembersCount %d is not in 1..%d", t.Name, t.MaxMembersCount, maxMembersLimit)
	}
	if t.Visibility == "" {
		t.Visibility = DefaultVisibility
	}
	if !validVisibility(t.Visibility) {
		return t, fmt.Errorf("emulator: template %q: Visibility %q is not open, visible or private", t.Name, t.Visibility)
	}
	return t, nil
}

// indexSocialGraph copies the configured social graph with lower-cased monikers.
func (e *Emulator) indexSocialGraph(graph map[string]map[string][]string) {
	for owner, monikers := range graph {
		out := map[string][]string{}
		for moniker, xuids := range monikers {
			m := strings.ToLower(moniker)
			out[m] = append(out[m], xuids...)
		}
		e.social[owner] = out
	}
}

// switchOn records the configured faults and variants; an unknown name is an error.
func (e *Emulator) switchOn(faults, variants []string) error {
	for _, name := range faults {
		if !knownFault(name) {
			return fmt.Errorf("emulator: unknown fault %q (known: %s)", name, strings.Join(faultNames(), ", "))
		}
		e.faults[name] = true
	}
	for _, name := range variants {
		if !knownVariant(name) {
			return fmt.Errorf("emulator: unknown variant %q (known: %s)", name, strings.Join(variantNames(), ", "))
		}
		e.variants[name] = true
	}
	return nil
}

// Handler returns the emulator as an http.Handler (the emulator itself).
func (e *Emulator) Handler() http.Handler { return e }

// ServeHTTP answers one MPSD request.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) { e.handler.ServeHTTP(w, r) }

// now is the emulator clock in UTC.
func (e *Emulator) now() time.Time { return e.clock().UTC() }
