package config

import (
	"net/url"
	"strings"

	"github.com/mpsdconf/mpsdconf/fixtures"
)

// redactedMark replaces every secret in a redacted configuration.
const redactedMark = "<redacted>"

// Redacted returns a copy that is safe to print or write into a report: Authorization values,
// the emulator key and proxy credentials are replaced.
func (c Config) Redacted() Config {
	out := c
	if out.EmulatorTokenKey != "" {
		out.EmulatorTokenKey = redactedMark
	}
	if u, err := url.Parse(out.Proxy); err == nil && u.User != nil {
		out.Proxy = u.Redacted()
	}
	out.World.Identities = redactIdentities(c.World.Identities)
	out.IdentityPools = make([]map[string]fixtures.Identity, len(c.IdentityPools))
	for i, p := range c.IdentityPools {
		out.IdentityPools[i] = redactIdentities(p)
	}
	if len(out.IdentityPools) == 0 {
		out.IdentityPools = nil
	}
	return out
}

func redactIdentities(in map[string]fixtures.Identity) map[string]fixtures.Identity {
	if in == nil {
		return nil
	}
	out := make(map[string]fixtures.Identity, len(in))
	for name, id := range in {
		if id.Authorization != "" {
			id.Authorization = redactedMark
		}
		out[name] = id
	}
	return out
}

// RedactURL hides credentials in a URL string that may not parse.
func RedactURL(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	if at := strings.LastIndex(s, "@"); at >= 0 {
		return redactedMark + s[at:]
	}
	return s
}
