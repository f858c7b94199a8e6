// Package schema checks the Kubernetes manifests against the API's own Go
// types, as a cluster's API server would decode them: kustomize renders the
// base and the canary overlay, and every object is decoded strictly into the
// type of its apiVersion and kind (k8s.io/api for the built-in kinds, the
// prometheus-operator's types for ServiceMonitor and PrometheusRule). A
// misspelled or misplaced field, a string where a number belongs, or a kind
// or version that does not exist fails here, where `kubectl apply` would have
// failed or silently dropped it. No cluster and no schema download: the
// types come from the Go module proxy.
package schema

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"
)

// kinds maps apiVersion/kind to a new value of its Go type.
var kinds = map[string]func() any{
	"v1/Namespace":                                    func() any { return &corev1.Namespace{} },
	"v1/ServiceAccount":                               func() any { return &corev1.ServiceAccount{} },
	"v1/Service":                                      func() any { return &corev1.Service{} },
	"v1/ConfigMap":                                    func() any { return &corev1.ConfigMap{} },
	"apps/v1/DaemonSet":                               func() any { return &appsv1.DaemonSet{} },
	"rbac.authorization.k8s.io/v1/Role":               func() any { return &rbacv1.Role{} },
	"rbac.authorization.k8s.io/v1/RoleBinding":        func() any { return &rbacv1.RoleBinding{} },
	"rbac.authorization.k8s.io/v1/ClusterRole":        func() any { return &rbacv1.ClusterRole{} },
	"monitoring.coreos.com/v1/ServiceMonitor":         func() any { return &monitoringv1.ServiceMonitor{} },
	"monitoring.coreos.com/v1/PrometheusRule":         func() any { return &monitoringv1.PrometheusRule{} },
	"rbac.authorization.k8s.io/v1/ClusterRoleBinding": func() any { return &rbacv1.ClusterRoleBinding{} },
}

func repo(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

func render(t *testing.T, dir string) []string {
	t.Helper()
	if _, err := exec.LookPath("kustomize"); err != nil {
		// As every ZViz test that needs a tool: a skip here, a failure in CI.
		if os.Getenv("ZVIZ_FAIL_ON_SKIP") == "1" {
			t.Fatal("needs kustomize (scripts/setup.sh installs it with go install); ZVIZ_FAIL_ON_SKIP=1 forbids skipping")
		}
		t.Skip("needs kustomize (scripts/setup.sh installs it with go install)")
	}
	out, err := exec.Command("kustomize", "build", filepath.Join(repo(t), dir)).Output()
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	var docs []string
	for _, doc := range strings.Split(string(out), "\n---\n") {
		if strings.TrimSpace(doc) != "" {
			docs = append(docs, doc)
		}
	}
	return docs
}

// decode decodes one manifest strictly into the type of its kind.
func decode(doc string) (string, error) {
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
		return "", err
	}
	key := head.APIVersion + "/" + head.Kind
	name := key + " " + head.Metadata.Name
	newValue, ok := kinds[key]
	if !ok {
		return name, fmt.Errorf("no such kind here: %s", key)
	}
	if err := yaml.UnmarshalStrict([]byte(doc), newValue()); err != nil {
		return name, err
	}
	return name, nil
}

func TestManifestsDecodeStrictly(t *testing.T) {
	// The base installs everything; the canary overlay only its own agent.
	for dir, least := range map[string]int{"deploy/kubernetes/base": 8, "deploy/kubernetes/overlays/canary": 4} {
		docs := render(t, dir)
		if len(docs) < least {
			t.Fatalf("%s rendered %d objects", dir, len(docs))
		}
		for _, doc := range docs {
			name, err := decode(doc)
			if err != nil {
				t.Errorf("%s: %s: %v", dir, name, err)
			}
		}
	}
}

// The check itself: what a typo looks like to it.
func TestStrictDecodingRefusesWhatAServerWould(t *testing.T) {
	docs := render(t, "deploy/kubernetes/base")
	var daemonSet string
	for _, doc := range docs {
		if strings.Contains(doc, "kind: DaemonSet") {
			daemonSet = doc
		}
	}
	if daemonSet == "" {
		t.Fatal("no DaemonSet rendered")
	}
	for what, broken := range map[string]string{
		"a misspelled field":            strings.Replace(daemonSet, "  selector:", "  selectr:", 1),
		"a string for a number":         strings.Replace(daemonSet, "periodSeconds: 10", "periodSeconds: ten", 1),
		"a kind that does not exist":    strings.Replace(daemonSet, "kind: DaemonSet", "kind: DaemonSett", 1),
		"a version that does not exist": strings.Replace(daemonSet, "apiVersion: apps/v1", "apiVersion: apps/v2", 1),
	} {
		if bytes.Equal([]byte(broken), []byte(daemonSet)) {
			t.Fatalf("%s: the example did not change the manifest", what)
		}
		if _, err := decode(broken); err == nil {
			t.Errorf("%s was accepted", what)
		}
	}
}
