// Package examples_test checks the example files: every YAML file parses, and the two CI
// examples run the suite against the emulator as a service and publish reports/junit.xml.
package examples_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

const junitPath = "reports/junit.xml"

// load parses one YAML file into a generic document.
func load(t *testing.T, name string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(doc) == 0 {
		t.Fatalf("%s: empty document", name)
	}
	return doc
}

// get walks doc by keys: map keys, or list indices ("0", "1", ...).
func get(doc any, keys ...string) any {
	for _, k := range keys {
		switch v := doc.(type) {
		case map[string]any:
			doc = v[k]
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(v) {
				return nil
			}
			doc = v[i]
		default:
			return nil
		}
	}
	return doc
}

func str(v any) string { s, _ := v.(string); return s }

func list(v any) []any { l, _ := v.([]any); return l }

func mapOf(v any) map[string]any { m, _ := v.(map[string]any); return m }

func TestEveryYAMLFileParses(t *testing.T) {
	var names []string
	for _, pattern := range []string{"*.yml", "*.yaml"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, m...)
	}
	for _, want := range []string{"github-actions.yml", "gitlab-ci.yml"} {
		if !slices.Contains(names, want) {
			t.Errorf("examples/%s is missing", want)
		}
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) { load(t, name) })
	}
}

// The Dockerfile's emulator stage is what the GitHub service runs: its default command must
// serve the emulator on 0.0.0.0:8080.
func TestDockerfileEmulatorStage(t *testing.T) {
	raw, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	stage := regexp.MustCompile(`(?m)^FROM \S+ AS emulator\n(?s:(.*?))\nFROM `).FindSubmatch(raw)
	if stage == nil {
		t.Fatal("Dockerfile has no emulator stage")
	}
	body := string(stage[1])
	for _, want := range []string{`ENTRYPOINT ["/mpsdconf"]`, `CMD ["emulate", "--listen", "0.0.0.0:8080"]`, "EXPOSE 8080"} {
		if !strings.Contains(body, want) {
			t.Errorf("emulator stage lacks %s", want)
		}
	}
}

func TestGitHubActionsExample(t *testing.T) {
	doc := load(t, "github-actions.yml")
	job := mapOf(get(doc, "jobs", "conformance"))
	if job == nil {
		t.Fatal("no jobs.conformance")
	}
	svc := mapOf(get(job, "services", "mpsd"))
	if !strings.Contains(str(svc["image"]), "mpsdconf-emulator") {
		t.Errorf("service mpsd image %q is not the emulator image", svc["image"])
	}
	if str(get(svc, "env", "MPSD_EMULATOR_TOKEN_KEY")) == "" {
		t.Error("service mpsd has no MPSD_EMULATOR_TOKEN_KEY")
	}
	if !slices.Contains(list(svc["ports"]), any("8080:8080")) {
		t.Errorf("service mpsd ports %v do not publish 8080", svc["ports"])
	}
	build := mapOf(get(doc, "jobs", "image"))
	if !strings.Contains(str(get(build, "steps", "2", "run")), "--target emulator") {
		t.Error("jobs.image does not build the Dockerfile's emulator target")
	}

	var run, junit, upload, verdict map[string]any
	for _, s := range list(job["steps"]) {
		step := mapOf(s)
		uses := str(step["uses"])
		switch {
		case strings.Contains(str(step["run"]), " run --target http://localhost:8080"):
			run = step
		case strings.HasPrefix(uses, "mikepenz/action-junit-report@"):
			junit = step
		case strings.HasPrefix(uses, "actions/upload-artifact@"):
			upload = step
		case step["name"] == "Verdict":
			verdict = step
		}
	}
	if run == nil {
		t.Fatal("no step runs mpsdconf run --target http://localhost:8080")
	}
	for _, want := range []string{"--emulator-token-key", "--report-dir", "code=$?", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "1) ", "2) "} {
		if !strings.Contains(str(run["run"]), want) {
			t.Errorf("run step lacks %q", want)
		}
	}
	if junit == nil || str(get(junit, "with", "report_paths")) != junitPath || junit["if"] != "always()" {
		t.Errorf("JUnit report step %v: want report_paths %s, if always()", junit, junitPath)
	}
	if upload == nil || !strings.HasPrefix(junitPath, str(get(upload, "with", "path"))) || upload["if"] != "always()" {
		t.Errorf("upload step %v: want path reports/, if always()", upload)
	}
	if verdict == nil || !strings.Contains(str(verdict["run"]), "exit 1") || !strings.Contains(str(verdict["run"]), "exit 2") {
		t.Error("the Verdict step must fail on exit 1 and tell exit 2 apart")
	}
}

func TestGitLabCIExample(t *testing.T) {
	doc := load(t, "gitlab-ci.yml")
	// "image" is a global keyword in GitLab CI, so no job may be called that.
	if _, ok := doc["image"]; ok {
		t.Error("top-level image: is the pipeline's default image, not a job")
	}
	job := mapOf(doc["conformance"])
	if job == nil {
		t.Fatal("no conformance job")
	}
	var svc map[string]any
	for _, s := range list(job["services"]) {
		if m := mapOf(s); m["alias"] == "mpsd" {
			svc = m
		}
	}
	if svc == nil {
		t.Fatal("no service with alias mpsd")
	}
	var cmd []string
	for _, c := range list(svc["command"]) {
		cmd = append(cmd, str(c))
	}
	if !slices.Equal(cmd, []string{"emulate", "--listen", "0.0.0.0:8080"}) {
		t.Errorf("service command %q, want emulate --listen 0.0.0.0:8080", cmd)
	}
	if str(get(job, "variables", "MPSD_EMULATOR_TOKEN_KEY")) == "" {
		t.Error("conformance job has no MPSD_EMULATOR_TOKEN_KEY for the service and the harness")
	}
	var script string
	for _, l := range list(job["script"]) {
		script += str(l) + "\n"
	}
	for _, want := range []string{"bin/mpsdconf run --target http://mpsd:8080", "--emulator-token-key", "--report-dir reports", "exit $code"} {
		if !strings.Contains(script, want) {
			t.Errorf("script lacks %q", want)
		}
	}
	if got := str(get(job, "artifacts", "reports", "junit")); got != junitPath {
		t.Errorf("artifacts.reports.junit %q, want %s", got, junitPath)
	}
	if get(job, "artifacts", "when") != "always" {
		t.Error("artifacts must be kept when the job fails (when: always)")
	}
	codes := list(get(job, "allow_failure", "exit_codes"))
	if len(codes) != 1 || codes[0] != 2 {
		t.Errorf("allow_failure.exit_codes %v, want [2] (harness error is a warning, exit 1 fails)", codes)
	}
}
