package conformance

// The world the executable is tested in: a real Prometheus (Debian's) with
// backfilled decision history, and a fixture agent speaking the agent API's
// JSON. Missing binaries skip the tests with the reason, or fail them when
// ZVIZ_FAIL_ON_SKIP=1 (CI), as the TypeScript tests' describeWhere does.

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

const stepSeconds = 15

// rates are decisions per second by syscall and decision, as backfilled.
var rates = map[string]map[string]float64{
	"openat":  {"allow": 2, "deny": 0.5},
	"connect": {"allow": 1, "log": 0.25},
	"execve":  {"allow": 0.1, "kill": 0.02},
	"ptrace":  {"deny": 0.05},
}

// requireOrSkip skips (or fails under ZVIZ_FAIL_ON_SKIP=1) when why is not empty.
func requireOrSkip(t *testing.T, why string) {
	t.Helper()
	if why == "" {
		return
	}
	if os.Getenv("ZVIZ_FAIL_ON_SKIP") == "1" {
		t.Fatalf("%s; ZVIZ_FAIL_ON_SKIP=1 forbids skipping", why)
	}
	t.Skip(why)
}

func executablePath() string {
	arch := map[string]string{"amd64": "amd64", "arm64": "arm64"}[runtime.GOARCH]
	return filepath.Join("..", "..", "dist", "datasource", "gpx_zviz_linux_"+arch)
}

func missing() string {
	if _, err := os.Stat(executablePath()); err != nil {
		return "needs the built executable " + executablePath() + " (npm run build -w pkg-backend)"
	}
	for _, bin := range []string{"prometheus", "promtool"} {
		if _, err := exec.LookPath(bin); err != nil {
			return "needs " + bin + " (apt-get install prometheus)"
		}
	}
	return ""
}

type history struct {
	start, end int64
}

func openMetrics(h history) string {
	var b strings.Builder
	b.WriteString("# TYPE zviz_broker_decisions counter\n")
	for syscall, decisions := range rates {
		for decision, rate := range decisions {
			for t := h.start; t <= h.end; t += stepSeconds {
				v := rate*float64(t-h.start) + 1000*rate
				fmt.Fprintf(&b, "zviz_broker_decisions_total{syscall=%q,decision=%q} %g %d\n", syscall, decision, v, t)
			}
		}
	}
	b.WriteString("# TYPE zviz_build_info gauge\n")
	for t := h.start; t <= h.end; t += stepSeconds {
		fmt.Fprintf(&b, "zviz_build_info{version=\"0.1.0\",variant=\"production\",commit=\"fixture\"} 1 %d\n", t)
	}
	b.WriteString("# EOF\n")
	return b.String()
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startPrometheus backfills one hour of history ending 30 s ago and starts
// Prometheus on a free port; it is stopped when the test ends.
func startPrometheus(t *testing.T) (string, history) {
	t.Helper()
	dir := t.TempDir()
	end := (time.Now().Unix() - 30) / stepSeconds * stepSeconds
	h := history{start: end - 3600, end: end}
	input := filepath.Join(dir, "history.om")
	if err := os.WriteFile(input, []byte(openMetrics(h)), 0o644); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	if out, err := exec.Command("promtool", "tsdb", "create-blocks-from", "openmetrics", input, data).CombinedOutput(); err != nil {
		t.Fatalf("promtool backfill: %v\n%s", err, out)
	}
	config := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(config, []byte("global:\n  scrape_interval: 15s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	cmd := exec.Command("prometheus", "--config.file="+config, "--storage.tsdb.path="+data,
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port), "--log.level=warn")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_, _ = cmd.Process.Wait()
	})
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return url, h
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus at %s not ready: %v", url, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// fixtureAgent serves the agent API's JSON: /health, /api/v1/decisions,
// /api/v1/containers and the SSE stream, whose events the test publishes.
type fixtureAgent struct {
	*httptest.Server
	mu      sync.Mutex
	streams []chan string
}

func (a *fixtureAgent) address() string { return strings.TrimPrefix(a.URL, "http://") }

func (a *fixtureAgent) publish(event map[string]any) {
	payload, _ := json.Marshal(event)
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, s := range a.streams {
		s <- fmt.Sprintf("id: %v\nevent: decision\ndata: %s\n\n", event["seq"], payload)
	}
}

func (a *fixtureAgent) openStreams() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.streams)
}

func event(seq int, ago time.Duration, syscall, decision string) map[string]any {
	return map[string]any{
		"seq": seq, "timestamp": time.Now().Add(-ago).UTC().Format("2006-01-02T15:04:05.000000000Z07:00"),
		"event_type": "syscall_decision", "container_id": "ci-job-17", "syscall": syscall,
		"args": map[string]any{"path": "/etc/shadow"}, "decision": decision, "latency_us": 12,
		"layer": "broker", "pid": 4242, "profile": "ci-runner",
	}
}

func startAgent(t *testing.T) *fixtureAgent {
	t.Helper()
	a := &fixtureAgent{}
	mux := http.NewServeMux()
	writeJSON := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("/health", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, map[string]any{
			"status": "healthy", "version": "0.1.0", "uptime": 12.5, "containers": 1,
			"broker":     map[string]any{"status": "ok", "inflight": 0},
			"components": map[string]any{"broker": map[string]any{"status": "ok"}},
		})
	})
	mux.HandleFunc("/api/v1/containers", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, map[string]any{"containers": []any{map[string]any{
			"id": "ci-job-17", "name": "ci-job-17", "profile": "ci-runner", "state": "running", "restarts": 0,
		}}})
	})
	mux.HandleFunc("/api/v1/decisions", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, map[string]any{"events": []any{
			event(1, 90*time.Second, "connect", "allow"),
			event(2, 30*time.Second, "openat", "deny"),
		}, "next": 2, "missed": 0})
	})
	mux.HandleFunc("/api/v1/decisions/stream", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		ch := make(chan string, 16)
		a.mu.Lock()
		a.streams = append(a.streams, ch)
		a.mu.Unlock()
		defer func() {
			a.mu.Lock()
			for i, s := range a.streams {
				if s == ch {
					a.streams = append(a.streams[:i], a.streams[i+1:]...)
				}
			}
			a.mu.Unlock()
		}()
		for {
			select {
			case <-r.Context().Done():
				return
			case msg := <-ch:
				_, _ = w.Write([]byte(msg))
				w.(http.Flusher).Flush()
			}
		}
	})
	a.Server = httptest.NewServer(mux)
	t.Cleanup(a.Close)
	return a
}

// startRealAgent runs the ZViz agent (agent/bin/zviz.js) on a free port, or
// says why it cannot.
func startRealAgent(t *testing.T) (string, string) {
	t.Helper()
	bundle := filepath.Join("..", "..", "agent", "dist", "zviz.js")
	if _, err := os.Stat(bundle); err != nil {
		return "", "needs the built agent " + bundle + " (npm run build)"
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return "", "needs node on PATH to run the agent"
	}
	if os.Geteuid() != 0 {
		// Without root the broker and the tracer cannot start, and the agent is rightly degraded.
		return "", "needs root for a healthy agent (broker and tracer)"
	}
	dir := t.TempDir()
	// The socket's own directory has a short name: t.TempDir's carries the
	// test's, and a Unix socket path holds at most 107 bytes.
	socketDir, err := os.MkdirTemp("", "zviz-conformance-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(socketDir) })
	config := filepath.Join(dir, "config.yaml")
	address := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	// A control socket and a cgroup group of its own: with the defaults, an
	// agent already running on the machine (an installed one, the demo, another
	// test's) answers on /run/zviz/agent.sock, and this one's broker rightly
	// refuses to start beside it.
	settings := "logging:\n  audit:\n    path: " + filepath.Join(dir, "audit.json") + "\n" +
		"broker:\n  control_socket: " + filepath.Join(socketDir, "agent.sock") + "\n" +
		"  cgroup_group: zviz-conformance-" + strings.TrimPrefix(address, "127.0.0.1:") + "\n"
	if err := os.WriteFile(config, []byte(settings), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, filepath.Join("..", "..", "agent", "bin", "zviz.js"), "agent", "--config", config, "--addr", address)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_, _ = cmd.Process.Wait()
	})
	// Up once every component has started: the tracer loads its BPF programs
	// after the server answers, and the agent says degraded until then.
	deadline := time.Now().Add(30 * time.Second)
	last := ""
	for {
		resp, err := http.Get("http://" + address + "/health")
		if err == nil {
			body, readErr := io.ReadAll(resp.Body)
			resp.Body.Close()
			var health struct {
				Status string `json:"status"`
			}
			if readErr == nil && json.Unmarshal(body, &health) == nil && health.Status == "healthy" {
				return address, ""
			}
			// The whole report: it names the component that is not ok, and why.
			last = string(body)
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			t.Fatalf("the agent at %s never became healthy: %s", address, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
