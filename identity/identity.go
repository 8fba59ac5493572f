// Package identity is the harness's one identity store: the named callers a run uses (user1,
// user2, user3 and a server principal), each with its XUID, title and Authorization value.
// Authorization values are secrets; the store hands them only to the HTTP client and lists
// them for redaction.
package identity

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/mpsdconf/mpsdconf/fixtures"
	"github.com/mpsdconf/mpsdconf/internal/xbltoken"
)

// Identity is one caller.
type Identity struct {
	Name     string
	XUID     string
	TitleID  string
	Gamertag string
	Server   bool

	authorization string
}

// New returns an identity with the given Authorization value.
func New(name, xuid, titleID string, server bool, authorization string) Identity {
	return Identity{Name: name, XUID: xuid, TitleID: titleID, Server: server, authorization: authorization}
}

// Authorization returns the secret Authorization header value.
func (i Identity) Authorization() string { return i.authorization }

// String describes the identity without its secret.
func (i Identity) String() string {
	if i.Server {
		return fmt.Sprintf("%s (server principal)", i.Name)
	}
	return fmt.Sprintf("%s (xuid %s)", i.Name, i.XUID)
}

// Store holds the identities of one run.
type Store struct {
	byName map[string]Identity
}

// NewStore builds a store; names must be unique and every identity needs an Authorization value.
func NewStore(ids ...Identity) (*Store, error) {
	s := &Store{byName: make(map[string]Identity, len(ids))}
	for _, id := range ids {
		if _, dup := s.byName[id.Name]; dup {
			return nil, fmt.Errorf("identity %q defined twice", id.Name)
		}
		if strings.TrimSpace(id.authorization) == "" {
			return nil, fmt.Errorf("identity %q has no Authorization value", id.Name)
		}
		s.byName[id.Name] = id
	}
	return s, nil
}

// Get returns the named identity.
func (s *Store) Get(name string) (Identity, error) {
	id, ok := s.byName[name]
	if !ok {
		return Identity{}, fmt.Errorf("no identity named %q (have %s)", name, strings.Join(s.Names(), ", "))
	}
	return id, nil
}

// Names returns the identity names, sorted.
func (s *Store) Names() []string {
	names := make([]string, 0, len(s.byName))
	for n := range s.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Secrets returns every Authorization value and its token part, for redaction.
func (s *Store) Secrets() []string {
	var out []string
	for _, n := range s.Names() {
		a := s.byName[n].authorization
		out = append(out, a)
		if _, token, ok := strings.Cut(a, ";"); ok && token != "" {
			out = append(out, token)
		}
	}
	return out
}

// Mint creates emulator tokens, signed with key, for every identity of the environment.
func Mint(env fixtures.Environment, key []byte, now time.Time) (*Store, error) {
	ids := make([]Identity, 0, len(env.Identities))
	for _, name := range sortedNames(env) {
		spec := env.Identities[name]
		title := spec.TitleID
		if title == "" {
			title = env.TitleID
		}
		auth, err := xbltoken.Mint(key, xbltoken.Claims{
			XUID: spec.XUID, TitleID: title, Server: spec.Server, Gamertag: spec.Gamertag,
		}, now)
		if err != nil {
			return nil, fmt.Errorf("mint token for identity %q: %w", name, err)
		}
		id := New(name, spec.XUID, title, spec.Server, auth)
		id.Gamertag = spec.Gamertag
		ids = append(ids, id)
	}
	return NewStore(ids...)
}

// FromEnvironment builds the store from ready Authorization values: each identity's
// `authorization`, or the environment variable named by `authorizationEnv` (looked up with
// lookup, usually os.LookupEnv). A missing value is an error naming the key to set.
func FromEnvironment(env fixtures.Environment, lookup func(string) (string, bool)) (*Store, error) {
	ids := make([]Identity, 0, len(env.Identities))
	var problems []string
	for _, name := range sortedNames(env) {
		spec := env.Identities[name]
		auth := spec.Authorization
		if spec.AuthorizationEnv != "" {
			if v, ok := lookup(spec.AuthorizationEnv); ok && strings.TrimSpace(v) != "" {
				auth = v
			} else if auth == "" {
				problems = append(problems, fmt.Sprintf("identities.%s.authorizationEnv: environment variable %s is not set", name, spec.AuthorizationEnv))
				continue
			}
		}
		if strings.TrimSpace(auth) == "" {
			problems = append(problems, fmt.Sprintf("identities.%s: set authorization or authorizationEnv (or run with --emulator-token-key against an emulator)", name))
			continue
		}
		title := spec.TitleID
		if title == "" {
			title = env.TitleID
		}
		id := New(name, spec.XUID, title, spec.Server, strings.TrimSpace(auth))
		id.Gamertag = spec.Gamertag
		ids = append(ids, id)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("identities:\n  %s", strings.Join(problems, "\n  "))
	}
	return NewStore(ids...)
}

func sortedNames(env fixtures.Environment) []string {
	names := make([]string, 0, len(env.Identities))
	for n := range env.Identities {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
