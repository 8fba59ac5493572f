package examples_test

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// k8sDocs splits a multi-document manifest and decodes each document strictly into its
// Kubernetes API type by kind: a field the API does not know, or a value of the wrong type,
// fails the test.
func k8sDocs(t *testing.T, name string) []any {
	t.Helper()
	raw, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var out []any
	for i, doc := range bytes.Split(raw, []byte("\n---\n")) {
		var meta struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
		}
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			t.Fatalf("%s document %d: %v", name, i+1, err)
		}
		var obj any
		switch meta.APIVersion + " " + meta.Kind {
		case "batch/v1 Job":
			obj = &batchv1.Job{}
		case "apps/v1 Deployment":
			obj = &appsv1.Deployment{}
		case "v1 Service":
			obj = &corev1.Service{}
		case "v1 PersistentVolumeClaim":
			obj = &corev1.PersistentVolumeClaim{}
		default:
			t.Fatalf("%s document %d: unexpected %s %s", name, i+1, meta.APIVersion, meta.Kind)
		}
		if err := yaml.UnmarshalStrict(doc, obj); err != nil {
			t.Fatalf("%s document %d (%s): not a valid %s: %v", name, i+1, meta.Kind, meta.Kind, err)
		}
		out = append(out, obj)
	}
	return out
}

func onlyJob(t *testing.T, docs []any) *batchv1.Job {
	t.Helper()
	var jobs []*batchv1.Job
	for _, d := range docs {
		if j, ok := d.(*batchv1.Job); ok {
			jobs = append(jobs, j)
		}
	}
	if len(jobs) != 1 {
		t.Fatalf("%d Jobs, want 1", len(jobs))
	}
	return jobs[0]
}

// TestKubernetesIndexedJob checks the shard Job against the API types and the harness's CLI:
// an Indexed Job whose completions and parallelism equal the shard count in --shard index/N,
// the completion index in JOB_COMPLETION_INDEX, reports on a volume that the merge Job mounts
// too, and a merge that expects every shard.
func TestKubernetesIndexedJob(t *testing.T) {
	docs := k8sDocs(t, "kubernetes-shards.yaml")
	job := onlyJob(t, docs)
	spec := job.Spec
	if spec.CompletionMode == nil || *spec.CompletionMode != batchv1.IndexedCompletion {
		t.Fatalf("completionMode %v, want Indexed", spec.CompletionMode)
	}
	if spec.Completions == nil || spec.Parallelism == nil || *spec.Completions != *spec.Parallelism {
		t.Fatalf("completions %v, parallelism %v: want both set and equal", spec.Completions, spec.Parallelism)
	}
	shards := int(*spec.Completions)
	pod := spec.Template.Spec
	if pod.RestartPolicy != corev1.RestartPolicyNever || len(pod.Containers) != 1 {
		t.Fatalf("pod: restartPolicy %q, %d containers", pod.RestartPolicy, len(pod.Containers))
	}
	c := pod.Containers[0]
	if i := slices.Index(c.Args, "--shard"); i < 0 || c.Args[i+1] != fmt.Sprintf("index/%d", shards) {
		t.Errorf("args %q: want --shard index/%d", c.Args, shards)
	}
	if c.Args[0] != "run" || !slices.Contains(c.Args, "--seed") || !slices.Contains(c.Args, "--target") {
		t.Errorf("args %q: want run with --target and a fixed --seed", c.Args)
	}
	var index *corev1.EnvVar
	for i := range c.Env {
		if c.Env[i].Name == "JOB_COMPLETION_INDEX" {
			index = &c.Env[i]
		}
	}
	if index == nil || index.ValueFrom == nil || index.ValueFrom.FieldRef == nil ||
		index.ValueFrom.FieldRef.FieldPath != "metadata.annotations['batch.kubernetes.io/job-completion-index']" {
		t.Errorf("JOB_COMPLETION_INDEX is not taken from the completion-index annotation: %+v", index)
	}
	reportDir := c.Args[slices.Index(c.Args, "--report-dir")+1]
	mount := mountFor(t, pod, c, "mpsdconf-reports")
	if !strings.HasPrefix(reportDir, mount+"/") || !strings.Contains(reportDir, "$(JOB_COMPLETION_INDEX)") {
		t.Errorf("--report-dir %q is not a per-index folder on the reports volume (%s)", reportDir, mount)
	}
	var claimed bool
	for _, d := range docs {
		if pvc, ok := d.(*corev1.PersistentVolumeClaim); ok && pvc.Name == "mpsdconf-reports" &&
			slices.Contains(pvc.Spec.AccessModes, corev1.ReadWriteMany) {
			claimed = true
		}
	}
	if !claimed {
		t.Error("no ReadWriteMany claim mpsdconf-reports for the shard and merge pods to share")
	}

	merge := onlyJob(t, k8sDocs(t, "kubernetes-merge.yaml"))
	mc := merge.Spec.Template.Spec.Containers[0]
	mergeMount := mountFor(t, merge.Spec.Template.Spec, mc, "mpsdconf-reports")
	want := []string{"merge", "--report-dir", mergeMount + "/merged", "--shards", fmt.Sprint(shards), mount + "/shards"}
	if !slices.Equal(mc.Args, want) || merge.Spec.CompletionMode != nil {
		t.Errorf("merge args %q, want %q (a plain Job reading every shard folder)", mc.Args, want)
	}
}

// mountFor returns where container c mounts the pod volume backed by claim.
func mountFor(t *testing.T, pod corev1.PodSpec, c corev1.Container, claim string) string {
	t.Helper()
	for _, v := range pod.Volumes {
		if v.PersistentVolumeClaim == nil || v.PersistentVolumeClaim.ClaimName != claim {
			continue
		}
		for _, m := range c.VolumeMounts {
			if m.Name == v.Name {
				return m.MountPath
			}
		}
	}
	t.Fatalf("container %s does not mount claim %s", c.Name, claim)
	return ""
}

// TestGitHubActionsShards checks the sharded workflow: a matrix of shards 1..N whose runs share
// one seed and pass --shard K/N, each uploading its reports, and a merge job that needs them all
// and merges N shards.
func TestGitHubActionsShards(t *testing.T) {
	doc := load(t, "github-actions-shards.yml")
	n := fmt.Sprint(get(doc, "env", "SHARDS"))
	matrix, _ := get(doc, "jobs", "shard", "strategy", "matrix", "shard").([]any)
	if fmt.Sprint(len(matrix)) != n {
		t.Fatalf("matrix %v, want %s shards", matrix, n)
	}
	for i, v := range matrix {
		if fmt.Sprint(v) != fmt.Sprint(i+1) {
			t.Errorf("matrix shard %d is %v, want %d (shards count from 1)", i, v, i+1)
		}
	}
	if get(doc, "jobs", "shard", "strategy", "fail-fast") != false {
		t.Error("fail-fast must be false: every shard must report")
	}
	run := fmt.Sprint(get(doc, "jobs", "shard", "steps", "1", "run"))
	for _, want := range []string{`--shard "${{ matrix.shard }}/$SHARDS"`, `--seed "${{ github.run_id }}"`, "run --target"} {
		if !strings.Contains(run, want) {
			t.Errorf("shard step lacks %q:\n%s", want, run)
		}
	}
	if get(doc, "jobs", "merge", "needs") != "shard" {
		t.Error("the merge job must need the shard job")
	}
	merge := fmt.Sprint(get(doc, "jobs", "merge", "steps", "2", "run"))
	if !strings.Contains(merge, `merge --report-dir /reports --shards "$SHARDS" /shards`) {
		t.Errorf("merge step:\n%s", merge)
	}
}
