package runner

import (
	"runtime/debug"
	"strings"
)

// version is set at build time with -ldflags "-X github.com/mpsdconf/mpsdconf/runner.version=v1.2.3".
var version = "dev"

// Version returns the harness version: the one set with -ldflags, else the module version
// recorded by the go command (a tag or pseudo-version for `go install ...@version` builds,
// and since Go 1.24 for builds in a VCS checkout), else "dev". When the binary carries VCS
// information, the short commit and "dirty" (uncommitted changes) are added as build
// metadata unless the version already shows them, e.g. v1.2.3+0123456789ab.dirty.
func Version() string {
	v := version
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	if v == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		v = info.Main.Version
	}
	var meta []string
	for _, s := range info.Settings {
		switch {
		case s.Key == "vcs.revision" && len(s.Value) >= 12 && !strings.Contains(v, s.Value[:12]):
			meta = append(meta, s.Value[:12])
		case s.Key == "vcs.modified" && s.Value == "true" && !strings.HasSuffix(v, "dirty"):
			meta = append(meta, "dirty")
		}
	}
	if len(meta) == 0 {
		return v
	}
	sep := "+"
	if strings.Contains(v, "+") {
		sep = "."
	}
	return v + sep + strings.Join(meta, ".")
}

// Commit returns the full VCS revision the binary was built from, or "" when unknown.
func Commit() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return ""
}
