package groupbuy

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/order/price"
)

// GroupStatus is where a group stands.
type GroupStatus string

const (
	Forming   GroupStatus = "forming"   // 拼团中: waiting for members to pay
	Succeeded GroupStatus = "succeeded" // 拼团成功: N members paid in time; its orders ship
	Failed    GroupStatus = "failed"    // 拼团失败: the time limit passed; paid members are refunded
)

// Member statuses.
const (
	MemberPending  = "pending"  // order unpaid, holding a slot
	MemberPaid     = "paid"     // counts toward the group
	MemberLeft     = "left"     // order closed unpaid, or cancelled while the group formed
	MemberRefunded = "refunded" // paid, then refunded (the group failed, or cancelled after success)
)

// Group is one group of a campaign.
type Group struct {
	ID         int64       `json:"id"`
	CampaignID int64       `json:"campaign_id"`
	Campaign   string      `json:"campaign"`
	Code       string      `json:"code" doc:"share code; others join with it"`
	LeaderID   int64       `json:"leader_id"`
	Size       int64       `json:"size"`
	Status     GroupStatus `json:"status"`
	Joined     int64       `json:"joined" doc:"members holding a slot (order pending or paid)"`
	Paid       int64       `json:"paid" doc:"members whose order is paid"`
	OpenSlots  int64       `json:"open_slots"`
	OpenedAt   time.Time   `json:"opened_at"`
	ExpiresAt  time.Time   `json:"expires_at"`
	ClosedAt   *time.Time  `json:"closed_at" doc:"when it succeeded or failed"`
	Members    []Member    `json:"members"`
}

// Member is one buyer in a group.
type Member struct {
	CustomerID  int64      `json:"customer_id"`
	Name        string     `json:"name"`
	Leader      bool       `json:"leader"`
	Status      string     `json:"status" doc:"pending, paid, left or refunded"`
	OrderID     int64      `json:"order_id"`
	OrderNo     string     `json:"order_no"`
	OrderStatus string     `json:"order_status"`
	JoinedAt    time.Time  `json:"joined_at"`
	PaidAt      *time.Time `json:"paid_at"`
}

// Codes: 8 characters of an alphabet without look-alikes (0/O, 1/I/L),
// easy to read out and type; 30^8 ≈ 6.6e11 codes.
const codeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

func newCode() string {
	b := make([]byte, 8)
	rand.Read(b)
	for i := range b {
		b[i] = codeAlphabet[int(b[i])%len(codeAlphabet)]
	}
	return string(b)
}

// NormalizeCode upper-cases a code and drops spaces and dashes.
func NormalizeCode(code string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, strings.ToUpper(strings.TrimSpace(code)))
}

// BuyInput is a group-buy checkout: one SKU of the campaign, the buyer and
// the address, through the order service.
type BuyInput = order.CheckoutInput

// Open opens a group in a campaign with the buyer's order: the buyer
// becomes its leader and gets its share code. The order is priced at the
// leader's price (or the group price) and held like any order.
func (s *Service) Open(ctx context.Context, campaignID int64, in BuyInput) (Group, order.Order, error) {
	if err := checkBuy(in); err != nil {
		return Group{}, order.Order{}, err
	}
	in.GroupBuy = &price.GroupBuy{CampaignID: campaignID, Code: newCode(), Open: true}
	o, err := s.Orders.Checkout(ctx, in)
	if err != nil {
		return Group{}, order.Order{}, err
	}
	g, err := s.GroupByOrder(ctx, o.ID)
	return g, o, err
}

// Join joins the group with the code with the buyer's order, priced at the
// group price. A full group, one that succeeded or failed, or a code
// nobody knows is refused before anything is written.
func (s *Service) Join(ctx context.Context, code string, in BuyInput) (Group, order.Order, error) {
	if err := checkBuy(in); err != nil {
		return Group{}, order.Order{}, err
	}
	code = NormalizeCode(code)
	if code == "" {
		return Group{}, order.Order{}, apperr.Field("code", "give the group's share code")
	}
	in.GroupBuy = &price.GroupBuy{Code: code}
	o, err := s.Orders.Checkout(ctx, in)
	if err != nil {
		return Group{}, order.Order{}, err
	}
	g, err := s.GroupByOrder(ctx, o.ID)
	return g, o, err
}

func checkBuy(in BuyInput) error {
	if in.CustomerID <= 0 {
		return fmt.Errorf("sign in to buy in a group: %w", apperr.ErrForbidden)
	}
	if len(in.Lines) != 1 {
		return apperr.Field("lines", "a group-buy order has exactly one line: a SKU of the campaign")
	}
	if in.CartID != 0 {
		return apperr.Field("lines", "a group-buy order is bought now, not from the cart")
	}
	if len(in.Coupons) > 0 {
		return apperr.Field("coupons", "group-buy items take no coupons")
	}
	if in.Points > 0 {
		return apperr.Field("points", "group-buy items take no points")
	}
	return nil
}

// Groups returns a campaign's groups, newest first, with their members
// (at most 500 groups).
func (s *Service) Groups(ctx context.Context, campaignID int64, st GroupStatus) ([]Group, error) {
	if st != "" && st != Forming && st != Succeeded && st != Failed {
		return nil, apperr.Field("status", "must be forming, succeeded or failed, not %q", st)
	}
	if _, err := s.Get(ctx, campaignID); err != nil {
		return nil, err
	}
	where, args := `g.campaign_id = $1`, []any{campaignID}
	if st != "" {
		where += ` AND g.status = $2`
		args = append(args, string(st))
	}
	return s.groups(ctx, where+` ORDER BY g.id DESC LIMIT 500`, args...)
}

// GroupByCode returns a group by its share code.
func (s *Service) GroupByCode(ctx context.Context, code string) (Group, error) {
	gs, err := s.groups(ctx, `g.code = $1`, NormalizeCode(code))
	if err != nil {
		return Group{}, err
	}
	if len(gs) == 0 {
		return Group{}, fmt.Errorf("no group has the code %q: %w", code, apperr.ErrNotFound)
	}
	return gs[0], nil
}

// GroupByOrder returns the group an order bought in; apperr.ErrNotFound
// when it is not a group-buy order.
func (s *Service) GroupByOrder(ctx context.Context, orderID int64) (Group, error) {
	gs, err := s.groups(ctx, `g.id = (SELECT group_id FROM group_buy_members WHERE order_id = $1)`, orderID)
	if err != nil {
		return Group{}, err
	}
	if len(gs) == 0 {
		return Group{}, fmt.Errorf("order %d is not a group-buy order: %w", orderID, apperr.ErrNotFound)
	}
	return gs[0], nil
}

// GroupsOf returns the groups a customer is or was in, newest first (at
// most 100).
func (s *Service) GroupsOf(ctx context.Context, customerID int64) ([]Group, error) {
	return s.groups(ctx, `g.id IN (SELECT group_id FROM group_buy_members WHERE customer_id = $1) ORDER BY g.id DESC LIMIT 100`, customerID)
}

// groups reads groups by a condition on g (with its ORDER BY / LIMIT),
// then their members.
func (s *Service) groups(ctx context.Context, where string, args ...any) ([]Group, error) {
	rows, err := s.DB.Query(ctx, `SELECT g.id, g.campaign_id, c.name, g.code, g.leader_id, g.group_size, g.status, g.joined, g.paid,
			g.opened_at, g.expires_at, g.closed_at
		FROM group_buy_groups g JOIN group_buy_campaigns c ON c.id = g.campaign_id WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("groups: %w", err)
	}
	var out []Group
	idx := map[int64]int{}
	for rows.Next() {
		var g Group
		var opened, expires int64
		var closed sql.NullInt64
		if err := rows.Scan(&g.ID, &g.CampaignID, &g.Campaign, &g.Code, &g.LeaderID, &g.Size, &g.Status, &g.Joined, &g.Paid,
			&opened, &expires, &closed); err != nil {
			rows.Close()
			return nil, fmt.Errorf("groups: %w", err)
		}
		g.OpenedAt, g.ExpiresAt = time.UnixMilli(opened).UTC(), time.UnixMilli(expires).UTC()
		if closed.Valid {
			t := time.UnixMilli(closed.Int64).UTC()
			g.ClosedAt = &t
		}
		if g.Status == Forming {
			g.OpenSlots = g.Size - g.Joined
		}
		g.Members = []Member{}
		idx[g.ID] = len(out)
		out = append(out, g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return out, nil
	}
	// Members of the groups read, in one query.
	ph := make([]string, len(out))
	margs := make([]any, len(out))
	for i, g := range out {
		ph[i] = fmt.Sprintf("$%d", i+1)
		margs[i] = g.ID
	}
	mrows, err := s.DB.Query(ctx, `SELECT m.group_id, m.customer_id, COALESCE(cu.name, ''), m.leader, m.status, m.order_id, o.order_no, o.status,
			m.joined_at, m.paid_at
		FROM group_buy_members m JOIN orders o ON o.id = m.order_id LEFT JOIN customers cu ON cu.id = m.customer_id
		WHERE m.group_id IN (`+strings.Join(ph, ",")+`) ORDER BY m.group_id, m.leader DESC, m.joined_at, m.id`, margs...)
	if err != nil {
		return nil, fmt.Errorf("group members: %w", err)
	}
	defer mrows.Close()
	for mrows.Next() {
		var m Member
		var gid, joined int64
		var paid sql.NullInt64
		if err := mrows.Scan(&gid, &m.CustomerID, &m.Name, &m.Leader, &m.Status, &m.OrderID, &m.OrderNo, &m.OrderStatus, &joined, &paid); err != nil {
			return nil, fmt.Errorf("group members: %w", err)
		}
		m.JoinedAt = time.UnixMilli(joined).UTC()
		if paid.Valid {
			t := time.UnixMilli(paid.Int64).UTC()
			m.PaidAt = &t
		}
		g := &out[idx[gid]]
		g.Members = append(g.Members, m)
	}
	return out, mrows.Err()
}

// errNoGroup names an unknown code the way the API answers it.
func errNoGroup(code string) error {
	return fmt.Errorf("no group has the code %q: %w", code, apperr.ErrNotFound)
}
