// Package conformance drives the TypeScript backend executable exactly as
// Grafana does: go-plugin launches it with Grafana's handshake, dispenses the
// SDK's gRPC clients, and every frame is decoded with the SDK's own Arrow
// decoder.
package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend/grpcplugin"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
)

type clients struct {
	data        grpcplugin.DataClient
	diagnostics grpcplugin.DiagnosticsClient
	resource    grpcplugin.ResourceClient
	stream      grpcplugin.StreamClient
	// What go-plugin's host side logged about the plugin (its own messages, not the plugin's).
	hostLog *syncBuffer
	ping    func() error
}

// syncBuffer is a bytes.Buffer that go-plugin's goroutines may write while the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// launch starts the executable the way grafana/grafana's grpcplugin client does.
func launch(t *testing.T) clients {
	t.Helper()
	hostLog := &syncBuffer{}
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig: plugin.HandshakeConfig{
			ProtocolVersion:  grpcplugin.ProtocolVersion,
			MagicCookieKey:   grpcplugin.MagicCookieKey,
			MagicCookieValue: grpcplugin.MagicCookieValue,
		},
		VersionedPlugins: map[int]plugin.PluginSet{
			grpcplugin.ProtocolVersion: {
				"diagnostics": &grpcplugin.DiagnosticsGRPCPlugin{},
				"resource":    &grpcplugin.ResourceGRPCPlugin{},
				"data":        &grpcplugin.DataGRPCPlugin{},
				"stream":      &grpcplugin.StreamGRPCPlugin{},
			},
		},
		Cmd:              exec.Command(executablePath()),
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		// go-plugin's host logs through this, the plugin's own hclog lines among them.
		Logger: hclog.New(&hclog.LoggerOptions{Name: "zviz", Level: hclog.Debug, Output: hostLog}),
	})
	t.Cleanup(client.Kill)
	rpc, err := client.Client()
	if err != nil {
		t.Fatalf("go-plugin could not start the executable: %v", err)
	}
	if v := client.NegotiatedVersion(); v != 2 {
		t.Fatalf("negotiated protocol version %d, want 2", v)
	}
	dispense := func(key string) any {
		raw, err := rpc.Dispense(key)
		if err != nil {
			t.Fatalf("dispense %s: %v", key, err)
		}
		return raw
	}
	return clients{
		data:        dispense("data").(grpcplugin.DataClient),
		diagnostics: dispense("diagnostics").(grpcplugin.DiagnosticsClient),
		resource:    dispense("resource").(grpcplugin.ResourceClient),
		stream:      dispense("stream").(grpcplugin.StreamClient),
		hostLog:     hostLog,
		ping:        rpc.Ping,
	}
}

func pluginContext(t *testing.T, uid string, jsonData map[string]any) *pluginv2.PluginContext {
	t.Helper()
	raw, err := json.Marshal(jsonData)
	if err != nil {
		t.Fatal(err)
	}
	return &pluginv2.PluginContext{
		OrgId:    1,
		PluginId: "zviz-agent-datasource",
		DataSourceInstanceSettings: &pluginv2.DataSourceInstanceSettings{
			Id: 1, Uid: uid, Name: "ZViz", JsonData: raw, LastUpdatedMS: 1,
		},
	}
}

func query(refID, queryType string, model map[string]any, from, to time.Time) *pluginv2.DataQuery {
	raw, _ := json.Marshal(model)
	return &pluginv2.DataQuery{
		RefId: refID, QueryType: queryType, MaxDataPoints: 1000, IntervalMS: stepSeconds * 1000, Json: raw,
		TimeRange: &pluginv2.TimeRange{FromEpochMS: from.UnixMilli(), ToEpochMS: to.UnixMilli()},
	}
}

func decode(t *testing.T, r *pluginv2.DataResponse) data.Frames {
	t.Helper()
	if r.Error != "" {
		t.Fatalf("query failed: %s (status %d, source %s)", r.Error, r.Status, r.ErrorSource)
	}
	frames, err := data.UnmarshalArrowFrames(r.Frames)
	if err != nil {
		t.Fatalf("the SDK cannot decode the frames: %v", err)
	}
	return frames
}

func fieldNamed(t *testing.T, f *data.Frame, name string) *data.Field {
	t.Helper()
	for _, field := range f.Fields {
		if field.Name == name {
			return field
		}
	}
	t.Fatalf("frame %q has no field %q", f.Name, name)
	return nil
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-6*math.Max(1, math.Abs(b)) }

func TestConformance(t *testing.T) {
	requireOrSkip(t, missing())
	promURL, h := startPrometheus(t)
	agent := startAgent(t)
	c := launch(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	settings := map[string]any{"prometheusUrl": promURL, "agents": []string{agent.address()}}
	pctx := pluginContext(t, "conformance", settings)
	to := time.Unix(h.end, 0)
	from := to.Add(-3000 * time.Second)

	t.Run("QueryData decisions", func(t *testing.T) {
		resp, err := c.data.QueryData(ctx, &pluginv2.QueryDataRequest{
			PluginContext: pctx, Queries: []*pluginv2.DataQuery{query("A", "decisions", map[string]any{}, from, to)},
		})
		if err != nil {
			t.Fatal(err)
		}
		frames := decode(t, resp.Responses["A"])
		wide := frames[0]
		if wide.Name != "decisions" || wide.RefID != "A" {
			t.Fatalf("first frame is %q (refId %q), want the decisions frame of A", wide.Name, wide.RefID)
		}
		names := []string{}
		for _, f := range wide.Fields {
			names = append(names, f.Name+":"+f.Type().ItemTypeString())
		}
		want := "syscall:string allow:*float64 emulate:*float64 log:*float64 deny:*float64 trap:*float64 kill:*float64 total:*float64"
		if strings.Join(names, " ") != want {
			t.Fatalf("wide frame fields %v, want %s", names, want)
		}
		if s, _ := fieldNamed(t, wide, "syscall").ConcreteAt(0); s != "openat" {
			t.Fatalf("first row %v, want openat (the largest total)", s)
		}
		if v, _ := fieldNamed(t, wide, "allow").ConcreteAt(0); !near(v.(float64), 2*3000) {
			t.Fatalf("openat allow over 3000 s = %v, want 6000", v)
		}
		var custom map[string]any
		raw, _ := json.Marshal(wide.Meta.Custom)
		_ = json.Unmarshal(raw, &custom)
		if custom["mode"] != "count" || custom["rangeSeconds"] != float64(3000) {
			t.Fatalf("meta.custom = %v", custom)
		}
		if len(frames) != 2 {
			t.Fatalf("%d frames, want the wide frame and one trend frame", len(frames))
		}
		trend := frames[1]
		if trend.Name != "decision_trend" || trend.Meta == nil || trend.Meta.Type != data.FrameTypeTimeSeriesWide {
			t.Fatalf("trend frame %q meta %+v, want decision_trend timeseries-wide", trend.Name, trend.Meta)
		}
		if trend.Fields[0].Type() != data.FieldTypeTime {
			t.Fatalf("trend frame starts with %v", trend.Fields[0].Type())
		}
		// The SDK must see each value field's own labels, though all share the name.
		seen := map[string]bool{}
		for _, v := range trend.Fields[1:] {
			key := v.Labels["syscall"] + "/" + v.Labels["decision"]
			if v.Name != "value" || rates[v.Labels["syscall"]][v.Labels["decision"]] == 0 || seen[key] {
				t.Fatalf("trend field %q labels %v (seen before: %v)", v.Name, v.Labels, seen[key])
			}
			seen[key] = true
			r, _ := v.ConcreteAt(trend.Fields[0].Len() - 1)
			if !near(r.(float64), rates[v.Labels["syscall"]][v.Labels["decision"]]) {
				t.Fatalf("%s rate %v, want %v", key, r, rates[v.Labels["syscall"]][v.Labels["decision"]])
			}
		}
		if len(seen) != 7 {
			t.Fatalf("%d trend series, want 7", len(seen))
		}
	})

	t.Run("QueryData promql range and instant, with nanosecond times", func(t *testing.T) {
		resp, err := c.data.QueryData(ctx, &pluginv2.QueryDataRequest{
			PluginContext: pctx,
			Headers:       map[string]string{"FromAlert": "true"},
			Queries: []*pluginv2.DataQuery{
				query("R", "promql", map[string]any{"expr": `zviz_broker_decisions_total{syscall="connect"}`}, from, to),
				query("I", "", map[string]any{"queryType": "promql", "instant": true,
					"expr": `sum by (syscall) (rate(zviz_broker_decisions_total[$__rate_interval]))`}, from, to),
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		series := decode(t, resp.Responses["R"])
		if len(series) != 2 {
			t.Fatalf("%d series, want connect/allow and connect/log", len(series))
		}
		sort.Slice(series, func(i, j int) bool {
			return series[i].Fields[1].Labels["decision"] < series[j].Fields[1].Labels["decision"]
		})
		allow := series[0]
		if allow.Meta == nil || allow.Meta.Type != data.FrameTypeTimeSeriesMulti {
			t.Fatalf("range frame meta %+v, want timeseries-multi", allow.Meta)
		}
		if allow.Fields[0].Type() != data.FieldTypeTime || allow.Fields[1].Type() != data.FieldTypeNullableFloat64 {
			t.Fatalf("range frame types %v %v", allow.Fields[0].Type(), allow.Fields[1].Type())
		}
		if got := allow.Fields[1].Labels; got["decision"] != "allow" || got["syscall"] != "connect" || got["__name__"] != "zviz_broker_decisions_total" {
			t.Fatalf("labels %v", got)
		}
		if n := allow.Fields[0].Len(); n != 201 {
			t.Fatalf("%d points, want 201", n)
		}
		for i := 0; i < allow.Fields[0].Len(); i++ {
			ts := allow.Fields[0].At(i).(time.Time)
			want := time.Unix(from.Unix()+int64(i*stepSeconds), 0)
			if !ts.Equal(want) || ts.UnixNano()%1e9 != 0 {
				t.Fatalf("point %d at %v (%d ns), want %v", i, ts, ts.UnixNano(), want)
			}
			v := *allow.Fields[1].At(i).(*float64)
			if wantV := float64(ts.Unix()-h.start) + 1000; !near(v, wantV) {
				t.Fatalf("point %d = %v, want %v", i, v, wantV)
			}
		}
		instant := decode(t, resp.Responses["I"])
		if len(instant) != 4 {
			t.Fatalf("%d instant frames, want 4", len(instant))
		}
		for _, f := range instant {
			if f.Meta.Type != data.FrameTypeNumericMulti {
				t.Fatalf("instant frame type %q", f.Meta.Type)
			}
			v, _ := f.Fields[1].ConcreteAt(0)
			sum := 0.0
			for _, r := range rates[f.Fields[1].Labels["syscall"]] {
				sum += r
			}
			if !near(v.(float64), sum) {
				t.Fatalf("%v rate %v, want %v", f.Fields[1].Labels, v, sum)
			}
		}
	})

	t.Run("QueryData audit and health", func(t *testing.T) {
		now := time.Now()
		resp, err := c.data.QueryData(ctx, &pluginv2.QueryDataRequest{
			PluginContext: pctx,
			Queries: []*pluginv2.DataQuery{
				query("L", "audit", map[string]any{}, now.Add(-time.Hour), now),
				query("H", "health", map[string]any{}, now.Add(-time.Hour), now),
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		logs := decode(t, resp.Responses["L"])[0]
		if logs.Meta.Type != data.FrameTypeLogLines {
			t.Fatalf("audit frame type %q", logs.Meta.Type)
		}
		if ts := fieldNamed(t, logs, "timestamp"); ts.Type() != data.FieldTypeTime || ts.Len() != 2 {
			t.Fatalf("timestamp field %v with %d rows", ts.Type(), ts.Len())
		}
		if body, _ := fieldNamed(t, logs, "body").ConcreteAt(0); !strings.HasPrefix(body.(string), "deny openat") {
			t.Fatalf("newest body %q", body)
		}
		labels := fieldNamed(t, logs, "labels")
		if labels.Type() != data.FieldTypeJSON {
			t.Fatalf("labels type %v, want json.RawMessage", labels.Type())
		}
		var l map[string]string
		_ = json.Unmarshal(labels.At(0).(json.RawMessage), &l)
		if l["syscall"] != "openat" || l["agent"] != agent.address() {
			t.Fatalf("labels %v", l)
		}
		health := decode(t, resp.Responses["H"])[0]
		if s, _ := fieldNamed(t, health, "status").ConcreteAt(0); s != "healthy" {
			t.Fatalf("agent status %v", s)
		}
		if u, _ := fieldNamed(t, health, "uptime").ConcreteAt(0); u != 12.5 {
			t.Fatalf("uptime %v", u)
		}
	})

	t.Run("QueryData errors are per query", func(t *testing.T) {
		resp, err := c.data.QueryData(ctx, &pluginv2.QueryDataRequest{
			PluginContext: pctx,
			Queries: []*pluginv2.DataQuery{
				query("ok", "promql", map[string]any{"expr": "zviz_build_info", "instant": true}, from, to),
				query("bad", "nope", map[string]any{}, from, to),
				{RefId: "json", QueryType: "promql", Json: []byte("{"), TimeRange: &pluginv2.TimeRange{FromEpochMS: 0, ToEpochMS: 1}},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		decode(t, resp.Responses["ok"])
		for _, id := range []string{"bad", "json"} {
			r := resp.Responses[id]
			if r.Error == "" || r.Status != 400 || r.ErrorSource != "plugin" {
				t.Fatalf("%s: error %q status %d source %q", id, r.Error, r.Status, r.ErrorSource)
			}
		}
	})

	t.Run("CheckHealth", func(t *testing.T) {
		ok, err := c.diagnostics.CheckHealth(ctx, &pluginv2.CheckHealthRequest{PluginContext: pctx})
		if err != nil {
			t.Fatal(err)
		}
		if ok.Status != pluginv2.CheckHealthResponse_OK || !strings.Contains(ok.Message, "1 of 1 agent reachable") {
			t.Fatalf("health %v %q", ok.Status, ok.Message)
		}
		port := freePort(t)
		bad, err := c.diagnostics.CheckHealth(ctx, &pluginv2.CheckHealthRequest{
			PluginContext: pluginContext(t, "down", map[string]any{"prometheusUrl": "http://127.0.0.1:" + itoa(port), "agents": []string{agent.address()}}),
		})
		if err != nil {
			t.Fatal(err)
		}
		want := "Prometheus at http://127.0.0.1:" + itoa(port) + ": connection refused"
		if bad.Status != pluginv2.CheckHealthResponse_ERROR || bad.Message != want || bad.ErrorSource != "downstream" {
			t.Fatalf("health %v %q (source %q), want ERROR %q from downstream", bad.Status, bad.Message, bad.ErrorSource, want)
		}
		// An agent whose /health has a component that is null: an ERROR naming it, not a gRPC failure.
		broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"status":"healthy","version":"0.1.0","uptime":1,"containers":0,` +
				`"broker":{"status":"ok","inflight":0},"components":{"tracer":null}}`))
		}))
		defer broken.Close()
		address := strings.TrimPrefix(broken.URL, "http://")
		null, err := c.diagnostics.CheckHealth(ctx, &pluginv2.CheckHealthRequest{
			PluginContext: pluginContext(t, "null-component", map[string]any{"agents": []string{address}}),
		})
		if err != nil {
			t.Fatalf("CheckHealth failed at the gRPC level: %v", err)
		}
		wantPrefix := "agent " + address + ": GET /health answered JSON of the wrong shape: components.tracer: "
		if null.Status != pluginv2.CheckHealthResponse_ERROR || !strings.HasPrefix(null.Message, wantPrefix) {
			t.Fatalf("health %v %q, want ERROR starting %q", null.Status, null.Message, wantPrefix)
		}
	})

	t.Run("CallResource", func(t *testing.T) {
		call := func(path string) (int32, map[string]any) {
			stream, err := c.resource.CallResource(ctx, &pluginv2.CallResourceRequest{PluginContext: pctx, Path: path, Method: "GET", Url: path})
			if err != nil {
				t.Fatal(err)
			}
			var code int32
			var body []byte
			for {
				msg, err := stream.Recv()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if msg.Code != 0 {
					code = msg.Code
				}
				body = append(body, msg.Body...)
			}
			var v map[string]any
			if err := json.Unmarshal(body, &v); err != nil {
				t.Fatalf("%s: body %q is not JSON", path, body)
			}
			return code, v
		}
		code, syscalls := call("syscalls")
		if code != 200 || len(syscalls["syscalls"].([]any)) != 4 {
			t.Fatalf("syscalls %d %v", code, syscalls)
		}
		code, containers := call("containers")
		if code != 200 || len(containers["containers"].([]any)) != 1 {
			t.Fatalf("containers %d %v", code, containers)
		}
		code, missing := call("nothing")
		if code != 404 || !strings.HasPrefix(missing["error"].(string), `no resource "nothing"`) {
			t.Fatalf("unknown resource %d %v", code, missing)
		}
	})

	t.Run("RunStream", func(t *testing.T) {
		sub, err := c.stream.SubscribeStream(ctx, &pluginv2.SubscribeStreamRequest{PluginContext: pctx, Path: "decisions"})
		if err != nil || sub.Status != pluginv2.SubscribeStreamResponse_OK {
			t.Fatalf("subscribe: %v %v", sub, err)
		}
		streamCtx, stop := context.WithCancel(ctx)
		defer stop()
		stream, err := c.stream.RunStream(streamCtx, &pluginv2.RunStreamRequest{PluginContext: pctx, Path: "decisions"})
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for agent.openStreams() == 0 {
			if time.Now().After(deadline) {
				t.Fatal("the backend never opened the agent's stream")
			}
			time.Sleep(20 * time.Millisecond)
		}
		agent.publish(event(7, 0, "execve", "kill"))
		packet, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		var frame data.Frame
		if err := json.Unmarshal(packet.Data, &frame); err != nil {
			t.Fatalf("stream packet is not a JSON frame: %v\n%s", err, packet.Data)
		}
		if frame.Name != "audit" || frame.Fields[0].Type() != data.FieldTypeTime {
			t.Fatalf("stream frame %q first field %v", frame.Name, frame.Fields[0].Type())
		}
		if s, _ := fieldNamed(t, &frame, "syscall").ConcreteAt(0); s != "execve" {
			t.Fatalf("streamed syscall %v", s)
		}
		stop()
		for agent.openStreams() != 0 {
			if time.Now().After(deadline) {
				t.Fatal("the agent stream stayed open after Grafana cancelled")
			}
			time.Sleep(20 * time.Millisecond)
		}
	})

	t.Run("QueryData health and CheckHealth against the real agent", func(t *testing.T) {
		address, why := startRealAgent(t)
		requireOrSkip(t, why)
		real := pluginContext(t, "real-agent", map[string]any{"prometheusUrl": promURL, "agents": []string{address}})
		now := time.Now()
		resp, err := c.data.QueryData(ctx, &pluginv2.QueryDataRequest{
			PluginContext: real,
			Queries:       []*pluginv2.DataQuery{query("H", "health", map[string]any{}, now.Add(-time.Minute), now)},
		})
		if err != nil {
			t.Fatal(err)
		}
		table := decode(t, resp.Responses["H"])[0]
		if a, _ := fieldNamed(t, table, "agent").ConcreteAt(0); a != address {
			t.Fatalf("agent %v, want %s", a, address)
		}
		if s, _ := fieldNamed(t, table, "status").ConcreteAt(0); s != "healthy" {
			t.Fatalf("the real agent's status %v", s)
		}
		if v, _ := fieldNamed(t, table, "version").ConcreteAt(0); v == "" {
			t.Fatal("the real agent reported no version")
		}
		health, err := c.diagnostics.CheckHealth(ctx, &pluginv2.CheckHealthRequest{PluginContext: real})
		if err != nil {
			t.Fatal(err)
		}
		if health.Status != pluginv2.CheckHealthResponse_OK || !strings.HasSuffix(health.Message, "1 of 1 agent reachable") {
			t.Fatalf("health %v %q", health.Status, health.Message)
		}
	})

	t.Run("QueryChunkedData", func(t *testing.T) {
		stream, err := c.data.QueryChunkedData(ctx, &pluginv2.QueryChunkedDataRequest{
			PluginContext: pctx,
			Queries: []*pluginv2.DataQuery{
				query("R", "promql", map[string]any{"expr": `zviz_broker_decisions_total{syscall="connect"}`}, from, to),
				query("bad", "nope", map[string]any{}, from, to),
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		frames := map[string]*data.Frame{}
		var failure *pluginv2.QueryChunkedDataResponse
		for {
			chunk, err := stream.Recv()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if chunk.Error != "" {
				failure = chunk
				continue
			}
			f, err := data.UnmarshalArrowFrame(chunk.Frame)
			if err != nil {
				t.Fatalf("chunk %s/%s: the SDK cannot decode it: %v", chunk.RefId, chunk.FrameId, err)
			}
			if chunk.RefId != "R" || chunk.Status != 200 || f.RefID != "R" {
				t.Fatalf("chunk %s/%s status %d, frame refId %q", chunk.RefId, chunk.FrameId, chunk.Status, f.RefID)
			}
			frames[chunk.FrameId] = f
		}
		if len(frames) != 2 || frames["f0"] == nil || frames["f1"] == nil || frames["f0"].Fields[0].Len() != 201 {
			t.Fatalf("frames %v, want f0 and f1 of 201 points", frames)
		}
		if failure == nil || failure.RefId != "bad" || failure.Status != 400 || failure.ErrorSource != "plugin" {
			t.Fatalf("error chunk %+v, want refId bad, status 400 from the plugin", failure)
		}
	})

	t.Run("go-plugin's stdio and broker streams are served", func(t *testing.T) {
		// The host opens both right after connecting; a plugin without them
		// makes go-plugin log a warning at every start.
		// The host's stdio reader runs in the background: give an UNIMPLEMENTED answer time to arrive.
		time.Sleep(500 * time.Millisecond)
		logged := c.hostLog.String()
		// (Its stdio reader logs an UNIMPLEMENTED answer at debug level and stops.)
		for _, unwanted := range []string{"Unimplemented", "stdio service not available", "[ERROR]"} {
			if strings.Contains(logged, unwanted) {
				t.Fatalf("go-plugin's host logged %q:\n%s", unwanted, logged)
			}
		}
	})

	t.Run("CollectMetrics", func(t *testing.T) {
		// "nope" was asked for twice: by QueryData and by QueryChunkedData.
		m, err := c.diagnostics.CollectMetrics(ctx, &pluginv2.CollectMetricsRequest{PluginContext: pctx})
		if err != nil {
			t.Fatal(err)
		}
		text := string(m.Metrics.Prometheus)
		for _, want := range []string{`zviz_datasource_queries_total{query_type="decisions",status="ok"} 1`, `zviz_datasource_queries_total{query_type="nope",status="plugin"} 2`} {
			if !strings.Contains(text, want) {
				t.Fatalf("metrics lack %s", want)
			}
		}
	})
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestClosedStdin starts the executable with a pipe already at end-of-file as
// the host's stdin, which go-plugin passes on to the plugin (as under `echo |
// grafana server`): the plugin must keep serving.
func TestClosedStdin(t *testing.T) {
	requireOrSkip(t, missing())
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	_ = w.Close()
	saved := os.Stdin
	os.Stdin = r
	c := launch(t)
	os.Stdin = saved
	time.Sleep(time.Second)
	if err := c.ping(); err != nil {
		t.Fatalf("the plugin stopped serving with a closed stdin: %v", err)
	}
	resp, err := c.diagnostics.CheckHealth(context.Background(), &pluginv2.CheckHealthRequest{
		PluginContext: pluginContext(t, "stdin", map[string]any{}),
	})
	if err != nil || resp.Status != pluginv2.CheckHealthResponse_ERROR || resp.ErrorSource != "plugin" {
		t.Fatalf("CheckHealth of an empty configuration: %+v %v", resp, err)
	}
}
