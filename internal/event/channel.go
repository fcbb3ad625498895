package event

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/db"
)

// Channels every shop has; rules may name others (e.g. email).
const (
	ChannelSearch     = "search"      // 搜索
	ChannelLive       = "live"        // 直播
	ChannelShortVideo = "short_video" // 短视频
	ChannelCommunity  = "community"   // 社群
	ChannelAds        = "ads"         // 广告
	ChannelReferral   = "referral"    // 外链: another site, no rule for it
	ChannelDirect     = "direct"      // 直接访问
)

// Fields a channel rule can match.
const (
	FieldUTMSource    = "utm_source"
	FieldUTMMedium    = "utm_medium"
	FieldReferrerHost = "referrer_host"
)

// Rule maps traffic to a channel: utm_source and utm_medium match the
// pattern exactly (case-insensitive); referrer_host matches the host or any
// subdomain of it (baidu.com matches www.baidu.com and m.baidu.com).
type Rule struct {
	Field   string `json:"field"`
	Pattern string `json:"pattern"`
	Channel string `json:"channel"`
}

func (r Rule) matches(utmSource, utmMedium, refHost string) bool {
	switch r.Field {
	case FieldUTMSource:
		return utmSource != "" && utmSource == r.Pattern
	case FieldUTMMedium:
		return utmMedium != "" && utmMedium == r.Pattern
	case FieldReferrerHost:
		return refHost != "" && (refHost == r.Pattern || strings.HasSuffix(refHost, "."+r.Pattern))
	}
	return false
}

// Channel names the channel of an event: the first rule that matches, else
// referral for a link from another site, else direct. A referrer on the
// page's own host is navigation inside the shop, not a source.
func Channel(rules []Rule, utmSource, utmMedium, referrer, page string) string {
	utmSource, utmMedium = strings.ToLower(utmSource), strings.ToLower(utmMedium)
	ref := host(referrer)
	if ref != "" && ref == host(page) {
		ref = ""
	}
	for _, r := range rules {
		if r.matches(utmSource, utmMedium, ref) {
			return r.Channel
		}
	}
	if ref != "" {
		return ChannelReferral
	}
	return ChannelDirect
}

var channelName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// normalize checks a rule list and lower-cases its patterns.
func normalize(rules []Rule) ([]Rule, error) {
	out := make([]Rule, len(rules))
	for i, r := range rules {
		at := fmt.Sprintf("rules[%d].", i)
		r.Field = strings.TrimSpace(r.Field)
		r.Pattern = strings.ToLower(strings.TrimSpace(r.Pattern))
		r.Channel = strings.TrimSpace(r.Channel)
		switch r.Field {
		case FieldUTMSource, FieldUTMMedium, FieldReferrerHost:
		default:
			return nil, apperr.Field(at+"field", "must be utm_source, utm_medium or referrer_host, not %q", r.Field)
		}
		if r.Pattern == "" {
			return nil, apperr.Field(at+"pattern", "give the value to match, such as douyin or baidu.com")
		}
		if len(r.Pattern) > maxText {
			return nil, apperr.Field(at+"pattern", "at most %d characters", maxText)
		}
		if !channelName.MatchString(r.Channel) {
			return nil, apperr.Field(at+"channel", "use lower-case letters, digits and _ such as short_video (at most 32), not %q", r.Channel)
		}
		out[i] = r
	}
	return out, nil
}

func loadRules(ctx context.Context, q db.Queryer) ([]Rule, error) {
	rows, err := q.Query(ctx, "SELECT field, pattern, channel FROM traffic_channel_rules ORDER BY position")
	if err != nil {
		return nil, fmt.Errorf("load channel rules: %w", err)
	}
	defer rows.Close()
	rules := []Rule{}
	for rows.Next() {
		var r Rule
		if err := rows.Scan(&r.Field, &r.Pattern, &r.Channel); err != nil {
			return nil, err
		}
		rules = append(rules, r)
	}
	return rules, rows.Err()
}

// Rules is the channel mapping in the order it is applied.
func (c *Collector) Rules(ctx context.Context) ([]Rule, error) {
	return loadRules(ctx, c.DB)
}

// SaveRules replaces the channel mapping (first match wins, so order
// matters). It applies to events received from now on; stored events keep
// their channel.
func (c *Collector) SaveRules(ctx context.Context, rules []Rule) error {
	rules, err := normalize(rules)
	if err != nil {
		return err
	}
	err = c.DB.InTx(ctx, func(tx *db.Tx) error {
		before, err := loadRules(ctx, tx)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM traffic_channel_rules"); err != nil {
			return err
		}
		for i, r := range rules {
			if _, err := tx.Exec(ctx, "INSERT INTO traffic_channel_rules (position, field, pattern, channel) VALUES ($1, $2, $3, $4)",
				i+1, r.Field, r.Pattern, r.Channel); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, "traffic.channel_rules.update", "traffic_channel_rules", "all", before, rules)
	})
	if err != nil {
		return fmt.Errorf("save channel rules: %w", err)
	}
	c.forgetConfig()
	return nil
}
