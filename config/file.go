package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"

	"go.yaml.in/yaml/v3"

	"github.com/mpsdconf/mpsdconf/fixtures"
)

// LoadFile reads a configuration file onto base. Unknown keys are errors that name the key.
func LoadFile(path string, base Config) (Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return base, fmt.Errorf("config file: %w", err)
	}
	cfg := base
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return base, fmt.Errorf("config file %s: %s", path, nameYAMLKeys(raw, err))
	}
	if !cfg.World.IsUnset() {
		if cfg.World.ContractVersion == 0 {
			cfg.World.ContractVersion = fixtures.DefaultContractVersion // the documented default
		}
		if err := cfg.World.Validate(); err != nil {
			return base, fmt.Errorf("config file %s: %w", path, err)
		}
	}
	for i, pool := range cfg.IdentityPools {
		w := cfg.World
		if w.IsUnset() {
			w = withContractVersion(fixtures.DefaultEnvironment(), w.ContractVersion)
		}
		w.Identities = pool
		if err := w.Validate(); err != nil {
			return base, fmt.Errorf("config file %s: identityPools[%d]: %w", path, i, err)
		}
	}
	resolveTokenFiles(&cfg, filepath.Dir(path))
	cfg.ConfigFile = path
	return cfg, nil
}

// resolveTokenFiles makes every relative xboxLive.tokenFile of the file's identities relative
// to the file's own folder, as kubeconfig does for its paths, so a run works from any folder.
func resolveTokenFiles(cfg *Config, dir string) {
	resolve := func(ids map[string]fixtures.Identity) {
		for name, id := range ids {
			if id.XboxLive == nil || id.XboxLive.TokenFile == "" || filepath.IsAbs(id.XboxLive.TokenFile) {
				continue
			}
			x := *id.XboxLive
			x.TokenFile = filepath.Join(dir, x.TokenFile)
			id.XboxLive = &x
			ids[name] = id
		}
	}
	resolve(cfg.World.Identities)
	for _, pool := range cfg.IdentityPools {
		resolve(pool)
	}
}

// nameYAMLKeys adds the key path to each "line N: ..." of a YAML decoding error, so that a
// value of the wrong type is reported as "line 3 (procs): cannot unmarshal ...".
func nameYAMLKeys(raw []byte, err error) string {
	var doc yaml.Node
	if yaml.Unmarshal(raw, &doc) != nil {
		return err.Error()
	}
	keys := map[int]string{}
	var walk func(n *yaml.Node, prefix string)
	walk = func(n *yaml.Node, prefix string) {
		switch n.Kind {
		case yaml.DocumentNode, yaml.SequenceNode:
			for i, c := range n.Content {
				p := prefix
				if n.Kind == yaml.SequenceNode {
					p = fmt.Sprintf("%s[%d]", prefix, i)
				}
				walk(c, p)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i].Value
				if prefix != "" {
					k = prefix + "." + k
				}
				if _, seen := keys[n.Content[i].Line]; !seen {
					keys[n.Content[i].Line] = k
				}
				walk(n.Content[i+1], k)
			}
		}
	}
	walk(&doc, "")
	return lineRef.ReplaceAllStringFunc(err.Error(), func(m string) string {
		var line int
		if _, scanErr := fmt.Sscanf(m, "line %d:", &line); scanErr == nil && keys[line] != "" {
			return fmt.Sprintf("line %d (%s):", line, keys[line])
		}
		return m
	})
}

var lineRef = regexp.MustCompile(`line \d+:`)

// LoadWorld reads only the test world of a configuration file (for `mpsdconf emulate`); a
// file without one yields the built-in world.
func LoadWorld(path string) (fixtures.Environment, error) {
	cfg, err := LoadFile(path, Config{})
	if err != nil {
		return fixtures.Environment{}, err
	}
	return worldOf(cfg), nil
}

// worldOf returns the configured world, or the built-in one (with the configured contract
// version, if any) when the configuration describes none.
func worldOf(cfg Config) fixtures.Environment {
	if cfg.World.IsUnset() {
		return withContractVersion(fixtures.DefaultEnvironment(), cfg.World.ContractVersion)
	}
	return cfg.World
}

func withContractVersion(w fixtures.Environment, v int) fixtures.Environment {
	if v != 0 {
		w.ContractVersion = v
	}
	return w
}
