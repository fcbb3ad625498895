package rfm

// Segment is one of the eleven standard RFM segments.
type Segment string

const (
	Champions         Segment = "champions"          // 冠军客户
	Loyal             Segment = "loyal"              // 忠实客户
	PotentialLoyalist Segment = "potential_loyalist" // 潜力客户
	New               Segment = "new"                // 新客户
	Promising         Segment = "promising"          // 有潜力新客
	NeedAttention     Segment = "need_attention"     // 需要关注
	AboutToSleep      Segment = "about_to_sleep"     // 即将沉睡
	AtRisk            Segment = "at_risk"            // 有流失风险
	CantLose          Segment = "cant_lose"          // 不能失去
	Hibernating       Segment = "hibernating"        // 沉睡客户
	Lost              Segment = "lost"               // 已流失
)

// Segments lists the segments from the best customers to the lost ones, the
// order tables and charts show them in.
var Segments = []Segment{Champions, Loyal, PotentialLoyalist, New, Promising, NeedAttention,
	AboutToSleep, AtRisk, CantLose, Hibernating, Lost}

// segmentTable is the R × FM grid (rows R 5…1, columns FM 1…5): every one of
// the 25 cells names exactly one segment. docs/METRICS.md shows the same
// table.
var segmentTable = [5][5]Segment{
	/* R5 */ {New, PotentialLoyalist, PotentialLoyalist, Champions, Champions},
	/* R4 */ {Promising, PotentialLoyalist, PotentialLoyalist, Loyal, Loyal},
	/* R3 */ {AboutToSleep, AboutToSleep, NeedAttention, Loyal, Loyal},
	/* R2 */ {Hibernating, Hibernating, AtRisk, AtRisk, CantLose},
	/* R1 */ {Lost, Lost, AtRisk, AtRisk, CantLose},
}

// SegmentOf names the segment of a score.
func SegmentOf(s Score) Segment {
	r, fm := clamp(s.R), clamp(s.FM())
	return segmentTable[5-r][fm-1]
}

// segmentCells is segmentTable as positions in Segments.
var segmentCells = func() (out [5][5]int8) {
	for r := range segmentTable {
		for fm, seg := range segmentTable[r] {
			out[r][fm] = int8(position(Segments, seg))
		}
	}
	return out
}()

// segmentAt is SegmentOf as a position in Segments.
func segmentAt(s Score) int8 {
	return segmentCells[5-clamp(s.R)][clamp(s.FM())-1]
}

func clamp(n int) int { return min(5, max(1, n)) }

// Tier is the seeds' three-way split (私域分层): 忠实 loyal, 潜力 potential,
// 沉睡 dormant.
type Tier string

const (
	TierLoyal     Tier = "loyal"     // 忠实用户: recent (R ≥ 3) and buying often and much (FM ≥ 4)
	TierPotential Tier = "potential" // 潜力用户: recent (R ≥ 3), not yet loyal
	TierDormant   Tier = "dormant"   // 沉睡用户: not recent (R ≤ 2)
)

// Tiers lists the three tiers.
var Tiers = []Tier{TierLoyal, TierPotential, TierDormant}

// TierOf places a score in the seeds' three-way split.
func TierOf(s Score) Tier {
	switch {
	case s.R <= 2:
		return TierDormant
	case s.FM() >= 4:
		return TierLoyal
	}
	return TierPotential
}

// Quadrant is the seeds' value × activity view: 高价值高活跃 …
type Quadrant string

const (
	HighValueHighActivity Quadrant = "high_value_high_activity" // 高价值高活跃: 专属权益 + 新品体验
	HighValueLowActivity  Quadrant = "high_value_low_activity"  // 高价值低活跃: 唤醒计划
	LowValueHighActivity  Quadrant = "low_value_high_activity"  // 低价值高活跃: 引导升级消费
	LowValueLowActivity   Quadrant = "low_value_low_activity"   // 低价值低活跃
)

// Quadrants lists the four quadrants.
var Quadrants = []Quadrant{HighValueHighActivity, HighValueLowActivity, LowValueHighActivity, LowValueLowActivity}

// QuadrantOf places a score: high value is M ≥ 3, high activity R ≥ 3 (the
// upper three quintiles of each).
func QuadrantOf(s Score) Quadrant {
	hv, ha := s.M >= 3, s.R >= 3
	switch {
	case hv && ha:
		return HighValueHighActivity
	case hv:
		return HighValueLowActivity
	case ha:
		return LowValueHighActivity
	}
	return LowValueLowActivity
}
