package synth_test

import (
	"runtime"
	"testing"
	"time"

	"onedoor/calendar"
	"onedoor/synth"
)

// BenchmarkGenerate measures a district of 20,000 residents with a year of
// history, the consumer aside: residents and cases generated per second.
func BenchmarkGenerate(b *testing.B) {
	benchmarkGenerate(b, 20000)
}

// BenchmarkGenerateChancheng measures the whole district: 1,330,300
// residents and a year of history (about 1.3 million cases). It reports
// the peak heap as well, sampled while it runs.
func BenchmarkGenerateChancheng(b *testing.B) {
	benchmarkGenerate(b, 1330300)
}

func benchmarkGenerate(b *testing.B, people int) {
	cfg := synth.Config{People: people, Years: 1, End: time.Date(2026, 1, 1, 0, 0, 0, 0, calendar.Location), Seed: 1}
	var residents, cases, events int
	var peak uint64
	for b.Loop() {
		st, err := synth.Generate(cfg, func(*synth.Batch) error {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
			return nil
		}, nil)
		if err != nil {
			b.Fatal(err)
		}
		residents += st.People
		cases += st.Cases
		events += st.Events
	}
	s := b.Elapsed().Seconds()
	b.ReportMetric(float64(residents)/s, "people/s")
	b.ReportMetric(float64(cases)/s, "cases/s")
	b.ReportMetric(float64(events)/s, "events/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}
