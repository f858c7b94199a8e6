// The reference the backend benchmark measures ZViz's TypeScript executable
// against: the smallest Go data source built with Grafana's plugin SDK that
// answers a `promql` range query the way ZViz does. It plans the step as
// ZViz does, POSTs the same query_range to Prometheus through the SDK's HTTP
// client, and returns one frame per series: `time` and a nullable float64
// `value` field carrying the series' labels and display name, meta type
// timeseries-multi. Nothing else (no other query types, no validation beyond
// what decoding needs): what any Go plugin pays at least.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/datasource"
	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"
	"github.com/grafana/grafana-plugin-sdk-go/backend/instancemgmt"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
	"github.com/grafana/grafana-plugin-sdk-go/data"
)

type settings struct {
	PrometheusURL string `json:"prometheusUrl"`
}

type instance struct {
	prometheus string
	client     *http.Client
}

func newInstance(_ context.Context, s backend.DataSourceInstanceSettings) (instancemgmt.Instance, error) {
	var cfg settings
	if err := json.Unmarshal(s.JSONData, &cfg); err != nil {
		return nil, err
	}
	client, err := httpclient.New(httpclient.Options{})
	if err != nil {
		return nil, err
	}
	return &instance{prometheus: strings.TrimRight(cfg.PrometheusURL, "/"), client: client}, nil
}

type promAnswer struct {
	Status string `json:"status"`
	Error  string `json:"error"`
	Data   struct {
		ResultType string `json:"resultType"`
		Result     []struct {
			Metric map[string]string `json:"metric"`
			Values [][2]any          `json:"values"`
		} `json:"result"`
	} `json:"data"`
}

// step as ZViz's planSteps: Grafana's interval, widened to fit maxDataPoints (at most 11,000).
func step(q backend.DataQuery) float64 {
	span := q.TimeRange.To.Sub(q.TimeRange.From).Seconds()
	points := float64(q.MaxDataPoints)
	if points <= 0 || points > 11000 {
		points = 11000
	}
	raw := math.Max(math.Max(q.Interval.Seconds(), span/points), 0.001)
	return math.Ceil(raw*1000) / 1000
}

func seriesName(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		if k != "__name__" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	pairs := make([]string, len(keys))
	for i, k := range keys {
		pairs[i] = fmt.Sprintf("%s=%q", k, labels[k])
	}
	return labels["__name__"] + "{" + strings.Join(pairs, ", ") + "}"
}

func (d *instance) query(ctx context.Context, q backend.DataQuery) backend.DataResponse {
	var model struct {
		Expr string `json:"expr"`
	}
	if err := json.Unmarshal(q.JSON, &model); err != nil {
		return backend.ErrDataResponse(backend.StatusBadRequest, err.Error())
	}
	s := step(q)
	form := url.Values{
		"query": {model.Expr},
		"start": {strconv.FormatFloat(float64(q.TimeRange.From.UnixMilli())/1000, 'f', -1, 64)},
		"end":   {strconv.FormatFloat(float64(q.TimeRange.To.UnixMilli())/1000, 'f', -1, 64)},
		"step":  {strconv.FormatFloat(s, 'f', -1, 64)},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.prometheus+"/api/v1/query_range", strings.NewReader(form.Encode()))
	if err != nil {
		return backend.ErrDataResponse(backend.StatusInternal, err.Error())
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := d.client.Do(req)
	if err != nil {
		return backend.ErrDataResponseWithSource(backend.StatusBadGateway, backend.ErrorSourceDownstream, err.Error())
	}
	defer res.Body.Close()
	var answer promAnswer
	if err := json.NewDecoder(res.Body).Decode(&answer); err != nil || answer.Status != "success" {
		return backend.ErrDataResponseWithSource(backend.StatusBadGateway, backend.ErrorSourceDownstream, fmt.Sprint(err, answer.Error))
	}
	meta := &data.FrameMeta{
		Type:                data.FrameTypeTimeSeriesMulti,
		TypeVersion:         data.FrameTypeVersion{0, 1},
		ExecutedQueryString: "Expr: " + model.Expr + "\nStep: " + strconv.FormatFloat(s, 'f', -1, 64) + "s",
	}
	var response backend.DataResponse
	for _, series := range answer.Data.Result {
		times := make([]time.Time, len(series.Values))
		values := make([]*float64, len(series.Values))
		for i, p := range series.Values {
			t, _ := p[0].(float64)
			times[i] = time.UnixMilli(int64(math.Round(t * 1000))).UTC()
			text, _ := p[1].(string)
			v, err := strconv.ParseFloat(text, 64)
			if err == nil {
				values[i] = &v
			}
		}
		name := seriesName(series.Metric)
		value := data.NewField("value", data.Labels(series.Metric), values)
		value.Config = &data.FieldConfig{DisplayNameFromDS: name}
		frame := data.NewFrame(name, data.NewField("time", nil, times), value)
		frame.Meta = meta
		response.Frames = append(response.Frames, frame)
	}
	return response
}

func (d *instance) QueryData(ctx context.Context, req *backend.QueryDataRequest) (*backend.QueryDataResponse, error) {
	out := backend.NewQueryDataResponse()
	for _, q := range req.Queries {
		out.Responses[q.RefID] = d.query(ctx, q)
	}
	return out, nil
}

func main() {
	if err := datasource.Manage("zviz-bench-reference", newInstance, datasource.ManageOpts{}); err != nil {
		log.DefaultLogger.Error(err.Error())
		os.Exit(1)
	}
}
