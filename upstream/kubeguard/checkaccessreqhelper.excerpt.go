// kubeguard/guard authz/providers/azure/rbac/checkaccessreqhelper.go: snapshot 5bcf8b539e74fbfab6185ede7686e35df9e7b247 (2026-04-30), file last changed in 0b2e978a9936a90a816d14fb1198547485a9dd4e (2026-01-13); read 2026-12-07.
// Lines 44-55 (constants), 153-258 (custom resource actions, scope, verb → action), 261-331 (getDataActions),
// 527-541 (isCustomResourceAccessRequest), verbatim. Apache-2.0 (LICENSE of the repository).
	NamespaceResourceFormat     = "/providers/Microsoft.KubernetesConfiguration/namespaces"
	namespaces                  = "namespaces"
	managedNamespaces           = "managedNamespaces"
	NoOpinionVerdict            = "Azure does not have opinion for this user."
	NonAADUserNoOpVerdict       = "Azure does not have opinion for this non AAD user. If you are an AAD user, please set Extra:oid parameter for impersonated user in the kubeconfig"
	NonAADUserNotAllowedVerdict = "Access denied by Azure RBAC for non AAD users. Configure --azure.skip-authz-for-non-aad-users to enable access. If you are an AAD user, please set Extra:oid parameter for impersonated user in the kubeconfig."
	CheckAccessErrorVerdict     = "Access denied due to Azure RBAC check failure. Please retry later."
	PodsResource                = "pods"
	CustomResources             = "customresources"
	ReadVerb                    = "read"
	WriteVerb                   = "write"
	DeleteVerb                  = "delete"
func getCustomResourceOperationsMap(clusterType string) map[string]azureutils.AuthorizationActionInfo {
	return map[string]azureutils.AuthorizationActionInfo{
		ReadVerb: {
			IsDataAction: true,
			AuthorizationEntity: azureutils.AuthorizationEntity{
				Id: path.Join(clusterType, CustomResources, ReadVerb),
			},
		},
		WriteVerb: {
			IsDataAction: true,
			AuthorizationEntity: azureutils.AuthorizationEntity{
				Id: path.Join(clusterType, CustomResources, WriteVerb),
			},
		},
		DeleteVerb: {
			IsDataAction: true,
			AuthorizationEntity: azureutils.AuthorizationEntity{
				Id: path.Join(clusterType, CustomResources, DeleteVerb),
			},
		},
	}
}

func getScope(resourceId string, attr *authzv1.ResourceAttributes, useNamespaceResourceScopeFormat bool) string {
	if attr != nil && attr.Namespace != "" {
		if useNamespaceResourceScopeFormat {
			return path.Join(resourceId, NamespaceResourceFormat, attr.Namespace)
		} else {
			return path.Join(resourceId, namespaces, attr.Namespace)
		}
	}
	return resourceId
}

func isValidUUID(u string) bool {
	_, err := uuid.Parse(u)
	return err == nil
}

func getValidSecurityGroups(groups []string) []string {
	var finalGroups []string
	for _, element := range groups {
		if isValidUUID(element) {
			finalGroups = append(finalGroups, element)
		}
	}
	return finalGroups
}

func getActionName(verb string) string {
	/* Kubernetes supprots some special verbs for which we need to return data action /verb/action.
	Following is the list of special verbs and their API group/resources in Kubernetes:
	use:policy/podsecuritypolicies
	bind:rbac.authorization.k8s.io/roles,clusterroles
	escalate:rbac.authorization.k8s.io/roles,clusterroles
	impersonate:core/users,groups,serviceaccounts
	impersonate:authentication.k8s.io/userextras

	https://kubernetes.io/docs/reference/access-authn-authz/authorization/#determine-the-request-verb
	*/
	switch verb {
	case "get":
		fallthrough
	case "list":
		fallthrough
	case "watch":
		return "read"

	case "bind":
		return "bind/action"
	case "escalate":
		return "escalate/action"
	case "use":
		return "use/action"
	case "impersonate":
		return "impersonate/action"

	case "create":
		fallthrough // instead of action create will be mapped to write
	case "patch":
		fallthrough
	case "update":
		return "write"

	case "delete":
		fallthrough
	case "deletecollection": // TODO: verify scenario
		return "delete"

	case "*": // map * to * for wildcard scenario
		return "*"
	default:
		return ""
	}
}

func getResourceAndAction(resource string, subResource string, verb string) string {
	var action string

	if resource == PodsResource && subResource == "exec" {
		action = path.Join(resource, subResource, "action")
	} else {
		action = path.Join(resource, getActionName(verb))
	}

	return action
func getDataActions(ctx context.Context, subRevReq *authzv1.SubjectAccessReviewSpec, clusterType string, allowCustomResourceTypeCheck bool, allowSubresourceTypeCheck bool) ([]azureutils.AuthorizationActionInfo, error) {
	var authInfoList []azureutils.AuthorizationActionInfo
	var err error
	log := klog.FromContext(ctx)

	if subRevReq.ResourceAttributes != nil {
		storedOperationsMap := getStoredOperationsMap()

		isCustomerResourceTypeCheckAvailable := allowCustomResourceTypeCheck && len(storedOperationsMap) != 0
		if !isCustomerResourceTypeCheckAvailable {
			log.V(5).Info("CustomResourceTypeCheck feature is not available", "allowCustomResourceTypeCheck", allowCustomResourceTypeCheck, "operationsMapAvailable", len(storedOperationsMap) != 0)
		}

		if subRevReq.ResourceAttributes.Resource != "*" && subRevReq.ResourceAttributes.Group != "*" && subRevReq.ResourceAttributes.Verb != "*" {
			/*
				This sections handles the following scenarios:

				| Scenario                      | Namespace is empty (Cluster scope call)      | Namespace is not empty (NS scope)        |
				------------------------------- ---------------------------------------------- ------------------------------------------
				| Verb, Res and Group are not * | Normal single resource call at cluster scope | Normal single resource call  at ns scope |

			*/
			authInfoSingle := azureutils.AuthorizationActionInfo{
				IsDataAction: true,
			}

			if isCustomerResourceTypeCheckAvailable && isCustomResourceAccessRequest(subRevReq, storedOperationsMap) {
				/*
					In this case both Res and Group are not *, but there is no matching DataAction present on the storedOperationsMap.
					The resource is presumed to be a CR and <clusterType>/customresources/<action> DataAction will be used for check access.
				*/
				log.V(5).Info("Resource identified as custom resource")
				return getAuthInfoListForCustomResource(ctx, subRevReq, clusterType)
			}

			authInfoSingle.AuthorizationEntity.Id = clusterType

			if subRevReq.ResourceAttributes.Group != "" {
				authInfoSingle.AuthorizationEntity.Id = path.Join(authInfoSingle.AuthorizationEntity.Id, subRevReq.ResourceAttributes.Group)
			}

			action := getResourceAndAction(subRevReq.ResourceAttributes.Resource, subRevReq.ResourceAttributes.Subresource, subRevReq.ResourceAttributes.Verb)
			authInfoSingle.AuthorizationEntity.Id = path.Join(authInfoSingle.AuthorizationEntity.Id, action)
			if allowSubresourceTypeCheck {
				err = setAuthInfoSubresourceAttributes(&authInfoSingle, subRevReq)
				if err != nil {
					return nil, fmt.Errorf("Error while setting subresource attributes: %s", err.Error())
				}
			}
			authInfoList = append(authInfoList, authInfoSingle)

		} else {
			if len(storedOperationsMap) == 0 {
				return nil, fmt.Errorf("Wildcard support for Resource/Verb/Group is not enabled for request Group: %s, Resource: %s, Verb: %s", subRevReq.ResourceAttributes.Group, subRevReq.ResourceAttributes.Resource, subRevReq.ResourceAttributes.Verb)
			}

			authInfoList, err = getAuthInfoListForWildcard(ctx, subRevReq, storedOperationsMap, clusterType, isCustomerResourceTypeCheckAvailable, allowSubresourceTypeCheck)
			if err != nil {
				return nil, fmt.Errorf("Error which creating actions for checkaccess for Group: %s, Resource: %s, Verb: %s: %w", subRevReq.ResourceAttributes.Group, subRevReq.ResourceAttributes.Resource, subRevReq.ResourceAttributes.Verb, err)
			}

		}
	} else if subRevReq.NonResourceAttributes != nil {
		authInfoSingle := azureutils.AuthorizationActionInfo{
			IsDataAction: true,
		}
		authInfoSingle.AuthorizationEntity.Id = path.Join(clusterType, subRevReq.NonResourceAttributes.Path, getActionName(subRevReq.NonResourceAttributes.Verb))
		authInfoList = append(authInfoList, authInfoSingle)
	}
	return authInfoList, nil
}
func isCustomResourceAccessRequest(subRevReq *authzv1.SubjectAccessReviewSpec, operationsMap azureutils.OperationsMap) bool {
	if subRevReq.ResourceAttributes == nil {
		return false
	}
	if subRevReq.ResourceAttributes.Group == "" || subRevReq.ResourceAttributes.Group == "*" {
		return false
	}
	if subRevReq.ResourceAttributes.Resource == "" || subRevReq.ResourceAttributes.Resource == "*" {
		_, found := operationsMap[subRevReq.ResourceAttributes.Group]
		return !found
	}

	_, found := operationsMap[subRevReq.ResourceAttributes.Group][subRevReq.ResourceAttributes.Resource]
	return !found
}
