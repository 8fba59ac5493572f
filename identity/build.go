package identity

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/mpsdconf/mpsdconf/fixtures"
	"github.com/mpsdconf/mpsdconf/internal/mpsdclient"
	"github.com/mpsdconf/mpsdconf/internal/tokenfile"
	"github.com/mpsdconf/mpsdconf/internal/xblauth"
	"github.com/mpsdconf/mpsdconf/internal/xbltoken"
)

// Options say how Build makes each identity's credential.
type Options struct {
	// EmulatorKey, when set, mints every identity's tokens with it (the target is an mpsdconf
	// emulator); the configured sources are then not used.
	EmulatorKey []byte
	// MintLifetime is how long a minted token lives (DefaultMintLifetime when zero).
	MintLifetime time.Duration
	// Lookup reads environment variables (authorizationEnv, refreshTokenEnv); usually
	// os.LookupEnv.
	Lookup func(string) (string, bool)
	// XboxLive signs in the identities configured with xboxLive; nil when none is.
	XboxLive *xblauth.Client
	// FetchTimeout bounds each fetch of a credential: a whole Xbox Live sign-in, a run of an
	// authorizationCommand (DefaultFetchTimeout when 0).
	FetchTimeout time.Duration
	// Redactor learns every secret the credentials fetch; nil makes a new one.
	Redactor *mpsdclient.Redactor
	// Warn is told about problems that do not stop the run (a token file others can read).
	Warn func(string)
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// Build makes the identities of world. set names the identity set in messages ("" for the
// world's own identities, "identityPools[0]" for the first pool). Nothing is fetched yet:
// each credential signs in, reads or runs its source on first use. A missing environment
// variable or setting is an error naming the key to set.
func Build(world fixtures.Environment, set string, opts Options) (*Store, error) {
	if opts.Redactor == nil {
		opts.Redactor = mpsdclient.NewRedactor()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	ids := make([]Identity, 0, len(world.Identities))
	var problems []string
	for _, name := range sortedNames(world) {
		spec := world.Identities[name]
		title := spec.TitleID
		if title == "" {
			title = world.TitleID
		}
		display := name
		if set != "" {
			display = fmt.Sprintf("%s (%s)", name, set)
		}
		source, err := sourceOf(name, set, spec, title, opts)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		id := Identity{Name: name, XUID: spec.XUID, TitleID: title, Gamertag: spec.Gamertag, Server: spec.Server,
			cred: newCredential(display, source, opts.Now, opts.Redactor.Add, opts.FetchTimeout)}
		ids = append(ids, id)
	}
	if len(problems) > 0 {
		where := "identities"
		if set != "" {
			where = set
		}
		return nil, fmt.Errorf("%s:\n  %s", where, strings.Join(problems, "\n  "))
	}
	return NewStore(opts.Redactor, ids...)
}

// sourceOf picks the credential source of one identity (name, of identity set set).
func sourceOf(name, set string, spec fixtures.Identity, title string, opts Options) (Source, error) {
	key := "identities." + name
	switch {
	case len(opts.EmulatorKey) > 0:
		if !spec.Server && spec.XUID == "" {
			return nil, fmt.Errorf("%s.xuid: required to mint an emulator token", key)
		}
		lifetime := opts.MintLifetime
		if lifetime <= 0 {
			lifetime = DefaultMintLifetime
		}
		return mintedSource{key: opts.EmulatorKey, lifetime: lifetime, now: opts.Now,
			claims: xbltoken.Claims{XUID: spec.XUID, TitleID: title, Server: spec.Server, Gamertag: spec.Gamertag}}, nil
	case len(spec.AuthorizationCommand) > 0:
		timeout := opts.FetchTimeout
		if timeout <= 0 {
			timeout = DefaultFetchTimeout
		}
		return commandSource{identity: name, set: set, argv: spec.AuthorizationCommand, timeout: timeout, redact: opts.Redactor.String}, nil
	case spec.XboxLive != nil:
		return xboxLiveSourceOf(key, spec.XboxLive, opts)
	}
	value, from := strings.TrimSpace(spec.Authorization), key+".authorization"
	if spec.AuthorizationEnv != "" {
		if v, ok := lookup(opts, spec.AuthorizationEnv); ok && strings.TrimSpace(v) != "" {
			value, from = strings.TrimSpace(v), "authorizationEnv "+spec.AuthorizationEnv
		} else if value == "" {
			return nil, fmt.Errorf("%s.authorizationEnv: environment variable %s is not set", key, spec.AuthorizationEnv)
		}
	}
	if value == "" {
		return nil, fmt.Errorf("%s: set authorization, authorizationEnv, authorizationCommand or xboxLive (or run with --emulator-token-key against an emulator)", key)
	}
	opts.Redactor.Add(tokenSecrets(value)...)
	return staticSource{value: value, from: from}, nil
}

// xboxLiveSourceOf is the Xbox Live sign-in of one identity.
func xboxLiveSourceOf(key string, x *fixtures.XboxLiveIdentity, opts Options) (Source, error) {
	if opts.XboxLive == nil {
		return nil, fmt.Errorf("%s.xboxLive: needs the top-level xboxLive settings (at least xboxLive.clientId)", key)
	}
	if x.TokenFile != "" {
		f := tokenfile.Open(x.TokenFile)
		f.Warn = opts.Warn
		return xboxLiveSource{session: opts.XboxLive.NewSession(f), from: "tokenFile " + x.TokenFile}, nil
	}
	v, ok := lookup(opts, x.RefreshTokenEnv)
	if !ok || strings.TrimSpace(v) == "" {
		return nil, fmt.Errorf("%s.xboxLive.refreshTokenEnv: environment variable %s is not set (sign the account in with `mpsdconf login --identity NAME --print` and store what it prints there)", key, x.RefreshTokenEnv)
	}
	opts.Redactor.Add(strings.TrimSpace(v))
	mem := xblauth.NewMemoryStore(strings.TrimSpace(v))
	return xboxLiveSource{session: opts.XboxLive.NewSession(mem), memory: mem, from: "refreshTokenEnv " + x.RefreshTokenEnv}, nil
}

func lookup(opts Options, name string) (string, bool) {
	if opts.Lookup == nil {
		return "", false
	}
	return opts.Lookup(name)
}

// Mint builds the identities of env with emulator tokens signed with key, each fetched at
// once (minting is local).
func Mint(env fixtures.Environment, key []byte, now time.Time) (*Store, error) {
	s, err := Build(env, "", Options{EmulatorKey: key, Now: func() time.Time { return now }})
	if err != nil {
		return nil, err
	}
	for _, n := range s.Names() {
		id, _ := s.Get(n)
		tok, err := id.cred.source.Fetch(context.Background(), ReasonInitial)
		if err != nil {
			return nil, fmt.Errorf("mint token for identity %q: %w", n, err)
		}
		id.cred.seed(tok)
	}
	return s, nil
}

// State is what one process hands another of an identity's credential, so the other starts
// from the value the first fetched (a worker of a multi-process run, from its parent's
// preflight). A secret.
type State struct {
	Token `yaml:",inline"`
	// RefreshToken is the newest refresh token of an identity whose refresh token came from
	// an environment variable (a rotated one exists only in the parent's memory).
	RefreshToken string `yaml:"refreshToken,omitempty"`
}

// States returns the state of every credential fetched so far, by identity name.
func (s *Store) States() map[string]State {
	out := map[string]State{}
	for _, n := range s.Names() {
		id, _ := s.Get(n)
		tok := id.cred.Token()
		if tok.Authorization == "" {
			continue
		}
		st := State{Token: tok}
		if x, ok := id.cred.source.(xboxLiveSource); ok && x.memory != nil {
			st.RefreshToken = x.memory.Current()
		}
		out[n] = st
	}
	return out
}

// Seed starts each named identity's credential from a state another process handed over.
func (s *Store) Seed(states map[string]State) {
	for n, st := range states {
		id, err := s.Get(n)
		if err != nil {
			continue
		}
		if x, ok := id.cred.source.(xboxLiveSource); ok && x.memory != nil && st.RefreshToken != "" {
			x.memory.Set(st.RefreshToken)
		}
		s.redactor.Add(st.RefreshToken)
		id.cred.seed(st.Token)
	}
}

func sortedNames(env fixtures.Environment) []string {
	names := make([]string, 0, len(env.Identities))
	for n := range env.Identities {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
