package main

import (
	"github.com/prometheus/client_golang/prometheus"
)

// ownedCounter exports a counter or gauge family whose values another package owns
// (observability §0 principle 1: the hub and the registry keep their own
// atomics; /metrics reads those, never a copy). It takes the place of the
// catalogue's registered family, with the same name, help and labels.
type ownedCounter struct {
	desc *prometheus.Desc
	kind prometheus.ValueType
	read func(emit func(v int64, labels ...string))
}

func (o ownedCounter) Describe(ch chan<- *prometheus.Desc) { ch <- o.desc }

func (o ownedCounter) Collect(ch chan<- prometheus.Metric) {
	o.read(func(v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(o.desc, o.kind, float64(v), labels...)
	})
}

// replaceWithOwned swaps the catalogue's family for one read from its owner.
func replaceWithOwned(reg *prometheus.Registry, family prometheus.Collector, kind prometheus.ValueType, read func(emit func(v int64, labels ...string))) {
	descs := make(chan *prometheus.Desc, 1)
	family.Describe(descs)
	desc := <-descs
	reg.Unregister(family)
	reg.MustRegister(ownedCounter{desc: desc, kind: kind, read: read})
}
