// Azure/guard auth/providers/azure/azure.go @ a7de234e168c5263da4853208e073d9e426d9cd7 (2026-05-28), lines 53-57 and 400-418 (read 2026-12-08)
const (
	OrgType            = "azure"
	azureUsernameClaim = "upn"
	azureObjectIDClaim = "oid"
)
func (c claims) getUserInfo(usernameClaim, userObjectIDClaim string) (*authv1.UserInfo, error) {
	username, err := c.string(usernameClaim)
	if err != nil && err == ErrClaimNotFound {
		username, err = c.string(userObjectIDClaim)
	}
	if err != nil {
		if err == ErrClaimNotFound {
			return nil, errors.Errorf("username: %s and objectID: %s claims not found", usernameClaim, userObjectIDClaim)
		}
		return nil, errors.Wrap(err, "unable to get username claim")
	}

	useroid, _ := c.string(userObjectIDClaim)

	return &authv1.UserInfo{
		Username: username,
		Extra:    map[string]authv1.ExtraValue{"oid": {useroid}},
	}, nil
}
