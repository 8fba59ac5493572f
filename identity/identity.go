// Package identity is the harness's one identity store: the named callers a run uses (user1,
// user2, user3 and, where one is configured, a server principal), each with its XUID, title and
// credential. A credential comes from one source per identity: a ready Authorization value
// (authorization, authorizationEnv), an external credential helper (authorizationCommand), the
// built-in Xbox Live sign-in from a stored refresh token (xboxLive), or, against an emulator,
// tokens minted with its key. Credentials are fetched on first use and renewed before they
// expire and when the target refuses them (see Credential). Every value is a secret: the store
// hands it only to the HTTP client and to the redactor (Store.Redactor), which learns each one
// as it appears.
package identity

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/mpsdconf/mpsdconf/internal/mpsdclient"
)

// Identity is one caller.
type Identity struct {
	Name     string
	XUID     string
	TitleID  string
	Gamertag string
	Server   bool

	cred *Credential
}

// Credential returns the identity's credential: what the HTTP client sends as it
// (mpsdclient.WithCredential).
func (i Identity) Credential() *Credential { return i.cred }

// String describes the identity without its secret.
func (i Identity) String() string {
	if i.Server {
		return fmt.Sprintf("%s (server principal)", i.Name)
	}
	return fmt.Sprintf("%s (xuid %s)", i.Name, i.XUID)
}

// Store holds the identities of one run (or one identity set of it).
type Store struct {
	redactor *mpsdclient.Redactor

	mu     sync.RWMutex
	byName map[string]Identity
}

// NewStore builds a store; names must be unique and every identity needs a credential. The
// redactor learns every value the credentials fetch (nil: a new one).
func NewStore(redactor *mpsdclient.Redactor, ids ...Identity) (*Store, error) {
	if redactor == nil {
		redactor = mpsdclient.NewRedactor()
	}
	s := &Store{redactor: redactor, byName: make(map[string]Identity, len(ids))}
	for _, id := range ids {
		if _, dup := s.byName[id.Name]; dup {
			return nil, fmt.Errorf("identity %q defined twice", id.Name)
		}
		if id.cred == nil {
			return nil, fmt.Errorf("identity %q has no credential", id.Name)
		}
		s.byName[id.Name] = id
	}
	return s, nil
}

// Redactor returns the redactor that knows every secret of the store's credentials.
func (s *Store) Redactor() *mpsdclient.Redactor { return s.redactor }

// Get returns the named identity.
func (s *Store) Get(name string) (Identity, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	id, ok := s.byName[name]
	if !ok {
		return Identity{}, fmt.Errorf("no identity named %q (have %s)", name, strings.Join(s.names(), ", "))
	}
	return id, nil
}

// Has reports whether the store has the named identity.
func (s *Store) Has(name string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, ok := s.byName[name]
	return ok
}

// Names returns the identity names, sorted.
func (s *Store) Names() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.names()
}

func (s *Store) names() []string {
	names := make([]string, 0, len(s.byName))
	for n := range s.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// SetXUID records the XUID (and gamertag, if known) the preflight learnt for an identity
// whose configuration left it out.
func (s *Store) SetXUID(name, xuid, gamertag string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, ok := s.byName[name]; ok {
		id.XUID = xuid
		if gamertag != "" {
			id.Gamertag = gamertag
		}
		s.byName[name] = id
	}
}

// Secrets returns every Authorization value fetched so far and its token part, for tests that
// scan output for them.
func (s *Store) Secrets() []string {
	var out []string
	for _, n := range s.Names() {
		id, _ := s.Get(n)
		if v := id.cred.Token().Authorization; v != "" {
			out = append(out, tokenSecrets(v)...)
		}
	}
	return out
}

// Refusals returns the credentials the target refused for good, by identity name.
func (s *Store) Refusals() []Refusal {
	var out []Refusal
	for _, n := range s.Names() {
		id, _ := s.Get(n)
		if r, ok := id.cred.Refusal(); ok {
			out = append(out, r)
		}
	}
	return out
}

// Merge joins stores into one whose identities are named by rename (k is the store's index;
// e.g. "user1@2" for process 2's user1), sharing their credentials. A sweep holds the
// identity sets of every process of a run in one store this way.
func Merge(redactor *mpsdclient.Redactor, stores []*Store, rename func(k int, name string) string) (*Store, error) {
	var all []Identity
	for k, st := range stores {
		for _, n := range st.Names() {
			id, _ := st.Get(n)
			id.Name = rename(k, n)
			all = append(all, id)
		}
	}
	return NewStore(redactor, all...)
}
