// config.go holds the emulator's configuration: Config, ServiceConfig and Template, their
// defaults, and ConfigFromEnvironment, which builds a Config for a fixtures test world.

package emulator

import (
	"strings"
	"time"

	"github.com/mpsdconf/mpsdconf/fixtures"
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
