package config

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
)

// EnvJobCompletionIndex is the environment variable a Kubernetes Indexed Job sets to each pod's
// 0-based completion index; `--shard index/N` runs shard index+1 of N.
const EnvJobCompletionIndex = "JOB_COMPLETION_INDEX"

// Shard is one share of a run spread over machines (--shard K/N): the specs whose shard, by
// ShardOf, is Index. The zero value is no sharding: every spec.
type Shard struct {
	// Index is the shard's number, from 1 to Count.
	Index int
	// Count is the number of shards; 0 means the run is not sharded.
	Count int
}

// String renders the shard as "K/N", or "" when the run is not sharded.
func (s Shard) String() string {
	if s.Count == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// Contains reports whether the spec with the given full text (Ginkgo's FullText: container
// texts and the spec's own, space-separated) belongs to the shard; every spec belongs to a
// run that is not sharded.
func (s Shard) Contains(specFullText string) bool {
	return s.Count == 0 || ShardOf(specFullText, s.Count) == s.Index
}

// ShardOf returns the shard (1 to n) of a spec by its full text: FNV-1a (32 bits) of the
// text, modulo n, plus 1. It depends on nothing but the text, so every machine of a sharded
// run makes the same choice and every spec lands in exactly one shard.
func ShardOf(specFullText string, n int) int {
	if n <= 1 {
		return 1
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(specFullText))
	return int(h.Sum32()%uint32(n)) + 1
}

// ParseShard reads a shard setting: "K/N" (K from 1 to N), or "index/N", which takes the
// 0-based shard from the environment variable JOB_COMPLETION_INDEX (read with getenv; a
// Kubernetes Indexed Job sets it) and means shard index+1 of N. "" is no sharding.
func ParseShard(value string, getenv func(string) string) (Shard, error) {
	value = strings.TrimSpace(value)
	if value == "" {
		return Shard{}, nil
	}
	k, n, ok := strings.Cut(value, "/")
	count, err := strconv.Atoi(strings.TrimSpace(n))
	if !ok || err != nil {
		return Shard{}, fmt.Errorf("shard: %q is not K/N or index/N", value)
	}
	if count < 1 {
		return Shard{}, fmt.Errorf("shard: %q: the number of shards must be at least 1", value)
	}
	k = strings.TrimSpace(k)
	if k == "index" {
		raw := ""
		if getenv != nil {
			raw = strings.TrimSpace(getenv(EnvJobCompletionIndex))
		}
		if raw == "" {
			return Shard{}, fmt.Errorf("shard: %q needs the environment variable %s (the 0-based index of a Kubernetes Indexed Job)", value, EnvJobCompletionIndex)
		}
		index, err := strconv.Atoi(raw)
		if err != nil || index < 0 || index >= count {
			return Shard{}, fmt.Errorf("shard: %s=%q is not an index from 0 to %d", EnvJobCompletionIndex, raw, count-1)
		}
		return Shard{Index: index + 1, Count: count}, nil
	}
	index, err := strconv.Atoi(k)
	if err != nil || index < 1 || index > count {
		return Shard{}, fmt.Errorf("shard: %q: K must be a whole number from 1 to %d", value, count)
	}
	return Shard{Index: index, Count: count}, nil
}
