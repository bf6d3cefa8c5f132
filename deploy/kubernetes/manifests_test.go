// Package kubernetes holds no code: its test checks the manifests beside
// it. It is a module of its own so that the Kubernetes API types it
// decodes into stay out of loadcheck's build.
package kubernetes

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// decode reads a manifest strictly into the API type of its kind: an
// unknown or misspelt field, or a value of the wrong type, fails.
func decode[T any](t *testing.T, file, kind string) *T {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := yaml.Unmarshal(b, &head); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if head.Kind != kind {
		t.Fatalf("%s: kind %q, want %q", file, head.Kind, kind)
	}
	v := new(T)
	if err := yaml.UnmarshalStrict(b, v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return v
}

func TestManifestsDecodeStrictly(t *testing.T) {
	ns := decode[corev1.Namespace](t, "namespace.yaml", "Namespace")
	pvc := decode[corev1.PersistentVolumeClaim](t, "results-pvc.yaml", "PersistentVolumeClaim")
	cm := decode[corev1.ConfigMap](t, "scenario-configmap.yaml", "ConfigMap")
	shards := decode[batchv1.Job](t, "shards-job.yaml", "Job")
	merge := decode[batchv1.Job](t, "merge-job.yaml", "Job")
	for _, m := range []struct {
		file, ns string
	}{{"results-pvc.yaml", pvc.Namespace}, {"scenario-configmap.yaml", cm.Namespace}, {"shards-job.yaml", shards.Namespace}, {"merge-job.yaml", merge.Namespace}} {
		if m.ns != ns.Name {
			t.Errorf("%s: namespace %q, want %q", m.file, m.ns, ns.Name)
		}
	}
	if _, ok := cm.Data["scenario.yaml"]; !ok {
		t.Error("scenario-configmap.yaml: no scenario.yaml")
	}
	if !strings.Contains(cm.Data["target.yaml"], "allow_remote: true") {
		t.Error("scenario-configmap.yaml: the target is remote and must say allow_remote: true")
	}
	if len(pvc.Spec.AccessModes) != 1 || pvc.Spec.AccessModes[0] != corev1.ReadWriteMany {
		t.Errorf("results-pvc.yaml: access modes %v, want ReadWriteMany: shards on several nodes write to it", pvc.Spec.AccessModes)
	}
	checkVolumes(t, "shards-job.yaml", shards, pvc.Name, cm.Name)
	checkVolumes(t, "merge-job.yaml", merge, pvc.Name, "")
}

// The shard Job is an Indexed Job whose pods are the shards 1..N of N,
// all started together, each waiting for the same start time.
func TestShardJobRunsEveryShard(t *testing.T) {
	job := decode[batchv1.Job](t, "shards-job.yaml", "Job")
	s := job.Spec
	if s.CompletionMode == nil || *s.CompletionMode != batchv1.IndexedCompletion {
		t.Errorf("completionMode %v, want Indexed: each pod must know its shard", s.CompletionMode)
	}
	if s.Completions == nil || s.Parallelism == nil || *s.Completions != *s.Parallelism {
		t.Fatalf("completions %v, parallelism %v: want equal, so every shard runs at once", s.Completions, s.Parallelism)
	}
	if s.BackoffLimit == nil || *s.BackoffLimit != 0 {
		t.Errorf("backoffLimit %v, want 0: a retried shard would begin after the common start", s.BackoffLimit)
	}
	c := only(t, job)
	script := strings.Join(c.Args, " ")
	m := regexp.MustCompile(`--shard \$\(\(JOB_COMPLETION_INDEX\+1\)\)/(\d+)`).FindStringSubmatch(script)
	if m == nil {
		t.Fatalf("args %q: want --shard $((JOB_COMPLETION_INDEX+1))/N", script)
	}
	if n, _ := strconv.Atoi(m[1]); int32(n) != *s.Completions {
		t.Errorf("--shard …/%s, but completions %d: the shard count must be the Job's", m[1], *s.Completions)
	}
	if !strings.Contains(script, "loadcheck run /etc/loadcheck/scenario.yaml") {
		t.Errorf("args %q: want loadcheck run on the mounted scenario", script)
	}
	if env(c, "LOADCHECK_START") == "" {
		t.Error("no LOADCHECK_START: the shards need one start time")
	}
	if !strings.Contains(script, "--out /results/$LOADCHECK_START") {
		t.Errorf("args %q: want the results under /results/$LOADCHECK_START, where the merge Job reads them", script)
	}
}

// The merge Job reads what the shards wrote, from the same folder.
func TestMergeJobReadsTheShards(t *testing.T) {
	job := decode[batchv1.Job](t, "merge-job.yaml", "Job")
	c := only(t, job)
	script := strings.Join(c.Args, " ")
	if !strings.Contains(script, "loadcheck merge /results/$LOADCHECK_START/*.json") {
		t.Errorf("args %q: want loadcheck merge of every result under /results/$LOADCHECK_START", script)
	}
	if env(c, "LOADCHECK_START") != env(only(t, decode[batchv1.Job](t, "shards-job.yaml", "Job")), "LOADCHECK_START") {
		t.Error("the merge Job's LOADCHECK_START placeholder differs from the shard Job's")
	}
}

// The Jobs run a shell from the image: the Dockerfile's final stage must
// be a distroless variant that has one, with the static binary on PATH.
func TestImageHasWhatTheJobsRun(t *testing.T) {
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(b)
	froms := regexp.MustCompile(`(?m)^FROM (\S+)`).FindAllStringSubmatch(df, -1)
	if len(froms) == 0 {
		t.Fatal("Dockerfile: no FROM")
	}
	final := froms[len(froms)-1][1]
	if !strings.HasPrefix(final, "gcr.io/distroless/static") || !strings.Contains(final, ":debug") {
		t.Errorf("final image %s: want distroless static, :debug variant (the Jobs run /busybox/sh)", final)
	}
	for _, want := range []string{"CGO_ENABLED=0", "./cmd/loadcheck", "/usr/local/bin/loadcheck"} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	for _, f := range []string{"shards-job.yaml", "merge-job.yaml"} {
		if c := only(t, decode[batchv1.Job](t, f, "Job")); len(c.Command) == 0 || c.Command[0] != "/busybox/sh" {
			t.Errorf("%s: command %v, want /busybox/sh, which the image has", f, c.Command)
		}
	}
}

func only(t *testing.T, job *batchv1.Job) corev1.Container {
	t.Helper()
	cs := job.Spec.Template.Spec.Containers
	if len(cs) != 1 {
		t.Fatalf("job %s: %d containers, want 1", job.Name, len(cs))
	}
	if p := job.Spec.Template.Spec.RestartPolicy; p != corev1.RestartPolicyNever {
		t.Errorf("job %s: restartPolicy %q, want Never", job.Name, p)
	}
	return cs[0]
}

func env(c corev1.Container, name string) string {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

// checkVolumes checks that the Job mounts the results claim at /results,
// and the scenario ConfigMap at /etc/loadcheck when configMap is set.
func checkVolumes(t *testing.T, file string, job *batchv1.Job, claim, configMap string) {
	t.Helper()
	vols := map[string]corev1.Volume{}
	for _, v := range job.Spec.Template.Spec.Volumes {
		vols[v.Name] = v
	}
	mounts := map[string]string{}
	for _, m := range only(t, job).VolumeMounts {
		if _, ok := vols[m.Name]; !ok {
			t.Errorf("%s: mount %s of no volume", file, m.Name)
		}
		mounts[m.MountPath] = m.Name
	}
	want := map[string]func(corev1.Volume) string{
		"/results": func(v corev1.Volume) string {
			if v.PersistentVolumeClaim == nil {
				return ""
			}
			return v.PersistentVolumeClaim.ClaimName
		},
	}
	names := map[string]string{"/results": claim}
	if configMap != "" {
		want["/etc/loadcheck"] = func(v corev1.Volume) string {
			if v.ConfigMap == nil {
				return ""
			}
			return v.ConfigMap.Name
		}
		names["/etc/loadcheck"] = configMap
	}
	for path, source := range want {
		if got := source(vols[mounts[path]]); got != names[path] {
			t.Errorf("%s: %s is mounted from %q, want %q", file, path, got, names[path])
		}
	}
}
