package api

import (
	"context"
	"net/http"

	"github.com/storeops/storeops/internal/customer"
)

func (a *API) customerRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/customers", Perm: permCustomersRead, Tag: "customers", Summary: "List and search customers",
			Query: append([]Param{
				{"q", "string", "search: every word must occur in the name, phone or email"},
				{"tag", "string", "only customers with this tag"},
				{"channel", "string", "source channel: search, live, short_video, community, ads, direct"},
			}, pageParams...),
			Reply: List[customer.Customer]{}, handle: a.listCustomers},
		{Method: "POST", Path: "/customers", Perm: permCustomersWrite, Tag: "customers", Summary: "Create a customer",
			Body: customer.Profile{}, Status: http.StatusCreated, Reply: customer.Customer{}, handle: a.createCustomer},
		{Method: "GET", Path: "/customers/{id}", Perm: permCustomersRead, Tag: "customers", Summary: "Get a customer with tags and addresses",
			Reply: customer.Customer{}, handle: a.getCustomer},
		{Method: "PUT", Path: "/customers/{id}", Perm: permCustomersWrite, Tag: "customers", Summary: "Replace a customer's profile",
			Body: customer.Profile{}, Reply: customer.Customer{}, handle: byID(func(ctx context.Context, id int64, in customer.Profile) (any, error) {
				return a.Customers.Update(ctx, id, in)
			})},
		{Method: "PUT", Path: "/customers/{id}/tags", Perm: permCustomersWrite, Tag: "customers", Summary: "Replace a customer's tags (用户标签)",
			Body: TagsInput{}, Reply: customer.Customer{}, handle: a.setCustomerTags},
		{Method: "PUT", Path: "/customers/{id}/consent", Perm: permCustomersWrite, Tag: "customers", Summary: "Record what marketing the customer agreed to",
			Body: customer.Consent{}, Reply: customer.Customer{}, handle: a.setCustomerConsent},
		{Method: "POST", Path: "/customers/{id}/addresses", Perm: permCustomersWrite, Tag: "customers", Summary: "Add an address",
			Body: customer.AddressInput{}, Status: http.StatusCreated, Reply: customer.Address{}, handle: byID(func(ctx context.Context, id int64, in customer.AddressInput) (any, error) {
				return a.Customers.AddAddress(ctx, id, in)
			})},
		{Method: "PUT", Path: "/customers/{id}/addresses/{address_id}", Perm: permCustomersWrite, Tag: "customers", Summary: "Change an address",
			Body: customer.AddressInput{}, Reply: customer.Address{}, handle: a.updateAddress},
		{Method: "DELETE", Path: "/customers/{id}/addresses/{address_id}", Perm: permCustomersWrite, Tag: "customers", Summary: "Delete an address",
			handle: a.deleteAddress},
	}
}

// TagsInput is a customer's full set of tags.
type TagsInput struct {
	Tags []string `json:"tags"`
}

func (a *API) listCustomers(ctx context.Context, r *request) (any, error) {
	p, err := r.page()
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	items, next, err := a.Customers.List(ctx, customer.Filter{Query: q.Get("q"), Tag: q.Get("tag"), Channel: q.Get("channel"), Request: p})
	return listOf(items, next), err
}

func (a *API) createCustomer(ctx context.Context, r *request) (any, error) {
	var in customer.Profile
	if err := decode(r.Request, &in); err != nil {
		return nil, err
	}
	return a.Customers.Create(ctx, in)
}

func (a *API) getCustomer(ctx context.Context, r *request) (any, error) {
	id, err := r.id("id")
	if err != nil {
		return nil, err
	}
	return a.Customers.Get(ctx, id)
}

func (a *API) setCustomerTags(ctx context.Context, r *request) (any, error) {
	id, err := r.id("id")
	if err != nil {
		return nil, err
	}
	var in TagsInput
	if err := decode(r.Request, &in); err != nil {
		return nil, err
	}
	if err := a.Customers.SetTags(ctx, id, in.Tags); err != nil {
		return nil, err
	}
	return a.Customers.Get(ctx, id)
}

func (a *API) setCustomerConsent(ctx context.Context, r *request) (any, error) {
	id, err := r.id("id")
	if err != nil {
		return nil, err
	}
	var in customer.Consent
	if err := decode(r.Request, &in); err != nil {
		return nil, err
	}
	if err := a.Customers.SetConsent(ctx, id, in); err != nil {
		return nil, err
	}
	return a.Customers.Get(ctx, id)
}

func (a *API) updateAddress(ctx context.Context, r *request) (any, error) {
	id, err := r.id("id")
	if err != nil {
		return nil, err
	}
	aid, err := r.id("address_id")
	if err != nil {
		return nil, err
	}
	var in customer.AddressInput
	if err := decode(r.Request, &in); err != nil {
		return nil, err
	}
	return a.Customers.UpdateAddress(ctx, id, aid, in)
}

func (a *API) deleteAddress(ctx context.Context, r *request) (any, error) {
	id, err := r.id("id")
	if err != nil {
		return nil, err
	}
	aid, err := r.id("address_id")
	if err != nil {
		return nil, err
	}
	return nil, a.Customers.DeleteAddress(ctx, id, aid)
}
