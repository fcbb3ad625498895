package api

import (
	"context"

	"github.com/storeops/storeops/internal/customer"
	"github.com/storeops/storeops/internal/tier"
)

// StoreProfileInput is what buyers change of their own profile. The phone
// is their sign-in: customer service changes it.
type StoreProfileInput struct {
	Name     string `json:"name"`
	Email    string `json:"email"`
	Gender   string `json:"gender" doc:"female, male, other or empty"`
	Birthday string `json:"birthday" doc:"YYYY-MM-DD or empty"`
}

// StoreProfile is the buyer's profile, whether it is complete (完善资料
// earns growth once), and their membership after saving it.
type StoreProfile struct {
	Name       string          `json:"name"`
	Phone      string          `json:"phone"`
	Email      string          `json:"email"`
	Gender     string          `json:"gender"`
	Birthday   string          `json:"birthday"`
	Complete   bool            `json:"complete"`
	Membership tier.Membership `json:"membership"`
}

// storeProfileRoutes: the buyer's own profile, whose completion is one of
// the actions that earn growth.
func (a *API) storeProfileRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/store/profile", Store: true, Tag: "storefront",
			Summary: "My profile, whether it is complete (name, phone, email, gender and birthday: 完善资料 earns growth once) and my membership",
			Reply:   StoreProfile{}, handle: func(ctx context.Context, r *request) (any, error) {
				cu, err := a.Customers.Get(ctx, r.customerID)
				if err != nil {
					return nil, err
				}
				return a.storeProfile(ctx, cu)
			}},
		{Method: "PUT", Path: "/store/profile", Store: true, Tag: "storefront",
			Summary: "Change my name, email, gender and birthday (422 names the field); completing the profile earns 完善资料 growth once",
			Body:    StoreProfileInput{}, Reply: StoreProfile{}, Example: StoreProfileInput{Name: "王小美", Email: "xm@example.com", Gender: "female", Birthday: "1995-03-08"},
			handle: func(ctx context.Context, r *request) (any, error) {
				var in StoreProfileInput
				if err := decode(r.Request, &in); err != nil {
					return nil, err
				}
				cu, err := a.Customers.Get(ctx, r.customerID)
				if err != nil {
					return nil, err
				}
				p := customer.Profile{ExternalID: cu.ExternalID, Name: in.Name, Phone: cu.Phone, Email: in.Email, Gender: in.Gender,
					Birthday: in.Birthday, SourceChannel: cu.SourceChannel, Note: cu.Note}
				if cu, err = a.Customers.Update(ctx, r.customerID, p); err != nil {
					return nil, err
				}
				return a.storeProfile(ctx, cu)
			}},
	}
}

func (a *API) storeProfile(ctx context.Context, cu customer.Customer) (StoreProfile, error) {
	m, err := a.tiers().Membership(ctx, cu.ID)
	return StoreProfile{Name: cu.Name, Phone: cu.Phone, Email: cu.Email, Gender: cu.Gender, Birthday: cu.Birthday,
		Complete: tier.ProfileComplete(cu), Membership: m}, err
}
