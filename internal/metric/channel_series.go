package metric

import (
	"context"
	"fmt"
	"sort"

	"github.com/axiomhq/hyperloglog"

	"github.com/storeops/storeops/internal/db"
)

// ChannelSeries is each channel's UV in each bucket, read from
// traffic_daily in one query: exact for one-day buckets, merged sketches
// for longer ones.
func ChannelSeries(ctx context.Context, q db.Queryer, buckets []Bucket) (map[string][]int64, error) {
	out := map[string][]int64{}
	if len(buckets) == 0 {
		return out, nil
	}
	from, to := buckets[0].From, buckets[len(buckets)-1].To
	rows, err := q.Query(ctx, `SELECT day, channel, uv, uv_sketch FROM traffic_daily
		WHERE day BETWEEN $1 AND $2 AND channel <> '' ORDER BY day`, from, to)
	if err != nil {
		return nil, fmt.Errorf("channel series: %w", err)
	}
	defer rows.Close()
	type key struct {
		channel string
		bucket  int
	}
	sketches := map[key]*hyperloglog.Sketch{}
	for rows.Next() {
		var day, uv int64
		var channel string
		var sk []byte
		if err := rows.Scan(&day, &channel, &uv, &sk); err != nil {
			return nil, err
		}
		i := sort.Search(len(buckets), func(i int) bool { return buckets[i].To >= day })
		if i == len(buckets) {
			continue
		}
		if out[channel] == nil {
			out[channel] = make([]int64, len(buckets))
		}
		if buckets[i].From == buckets[i].To {
			out[channel][i] = uv
			continue
		}
		k := key{channel, i}
		if sketches[k] == nil {
			sketches[k] = hyperloglog.New14()
		}
		if err := mergeSketch(sketches[k], sk); err != nil {
			return nil, err
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for k, s := range sketches {
		out[k.channel][k.bucket] = int64(s.Estimate())
	}
	return out, nil
}
