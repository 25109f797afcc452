namespace Proxy.Routing;

/// <summary>Turns a route's <c>Action</c> section into a runnable action, reporting every invalid field.</summary>
internal interface IRouteActionFactory
{
    /// <summary>Names of the action types this factory builds (e.g. <c>Forward</c>).</summary>
    IReadOnlyCollection<string> Types { get; }

    /// <summary>The action, or null after reporting why not to <see cref="RouteActionContext.Errors"/>.</summary>
    IRouteAction? Create(RouteActionContext context);

    /// <summary>Called when <paramref name="snapshot"/> goes into force (a dry run, a rejected change and a snapshot being
    /// compiled do not call it): what a factory carries from one configuration to the next comes from here.</summary>
    void Applied(ProxySnapshot snapshot)
    {
    }
}
