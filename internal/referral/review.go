package referral

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/db"
)

// ErrNotPending is a decision on an invitation that is not waiting for
// one (decided already, or never held).
var ErrNotPending = fmt.Errorf("the invitation is not waiting for review: %w", apperr.ErrConflict)

// Approve releases a held invitation: the job rewards it once its holding
// period has ended (at once if it has).
func (s *Service) Approve(ctx context.Context, id int64, note string) (Invitation, error) {
	return s.decide(ctx, id, true, note)
}

// Reject voids a held invitation: nobody is rewarded for it.
func (s *Service) Reject(ctx context.Context, id int64, note string) (Invitation, error) {
	return s.decide(ctx, id, false, note)
}

func (s *Service) decide(ctx context.Context, id int64, approve bool, note string) (Invitation, error) {
	note = strings.TrimSpace(note)
	if utf8.RuneCountInString(note) > 200 {
		return Invitation{}, apperr.Field("note", "keep the note under 200 characters")
	}
	if !approve && note == "" {
		return Invitation{}, apperr.Field("note", "say why the invitation is rejected (the team sees it on the invitation)")
	}
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		before, err := getInvitation(ctx, tx, id)
		if err != nil {
			return err
		}
		if before.Review != ReviewPending || before.Status != Paid {
			return fmt.Errorf("invitation %d is %s (review %s): %w", id, before.Status, before.Review, ErrNotPending)
		}
		now := s.now()
		action := "referral.approve"
		if approve {
			res, err := tx.Exec(ctx, `UPDATE referral_invitations SET review = 'approved', note = $1, updated_at = $2
				WHERE id = $3 AND status = 'paid' AND review = 'pending'`, note, now.UnixMilli(), id)
			if err != nil {
				return fmt.Errorf("approve invitation %d: %w", id, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return fmt.Errorf("invitation %d: %w", id, ErrNotPending)
			}
		} else {
			action = "referral.reject"
			if err := void(ctx, tx, id, VoidRejected, note, now); err != nil {
				return err
			}
		}
		after, err := getInvitation(ctx, tx, id)
		if err != nil {
			return err
		}
		if !approve && after.Status != Void {
			return fmt.Errorf("invitation %d: %w", id, ErrNotPending)
		}
		return audit.Record(ctx, tx, action, "referral_invitation", id,
			map[string]any{"status": before.Status, "review": before.Review},
			map[string]any{"status": after.Status, "review": after.Review, "note": note})
	})
	if err != nil {
		return Invitation{}, err
	}
	return s.Get(ctx, id)
}
