using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Proxy.Configuration;
using Proxy.Hosting;
using Proxy.Metrics;
using Proxy.Store;
using Proxy.Udp;

namespace Proxy.Admin;

/// <summary>The admin API (minimal API on the admin listener): route CRUD, dry-run validation, listeners, status,
/// audit, health, Prometheus metrics and the OpenAPI document.</summary>
internal static class AdminEndpoints
{
    private const string KeyIdItem = "Proxy.Admin.KeyId";

    public static void MapAdminApi(this WebApplication app)
    {
        var settings = app.Services.GetRequiredService<AdminSettings>();
        app.MapGet("/healthz", (LiveConfiguration live) => Results.Ok(new { Status = "Healthy", Version = live.Current.Version }))
            .WithMetadata(AdminEndpointMetadata.Instance).WithTags("Health");
        app.MapOpenApi().WithMetadata(AdminEndpointMetadata.Instance);

        var secured = app.MapGroup(string.Empty).WithMetadata(AdminEndpointMetadata.Instance)
            .AddEndpointFilter(async (context, next) =>
            {
                var keyId = settings.Keys.Authenticate(context.HttpContext.Request);
                if (keyId is null)
                {
                    context.HttpContext.Response.Headers.WWWAuthenticate = "Bearer";
                    return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized",
                        detail: "Send an admin API key in X-Api-Key or Authorization: Bearer.");
                }

                context.HttpContext.Items[KeyIdItem] = keyId;
                return await next(context).ConfigureAwait(false);
            })
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        secured.MapGet("/metrics", (ProxyMetrics metrics, LiveConfiguration live, UdpListeners udp)
            => Results.Text(PrometheusText.Write(metrics, live.Current, udp), PrometheusText.ContentType)).WithTags("Metrics");

        var api = secured.MapGroup("/api").WithTags("Routes");
        api.MapGet("/routes", (RouteAdmin admin, HttpContext http) =>
        {
            var list = admin.List();
            http.Response.Headers["X-Config-Version"] = list.Version.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Results.Json(list, RouteJson.Options);
        }).Produces<RouteList>();
        api.MapGet("/routes/{id}", (string id, RouteAdmin admin, HttpContext http) =>
        {
            if (admin.Get(id) is not { } entry)
            {
                return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such route", detail: $"There is no route '{id}'.");
            }

            http.Response.Headers.ETag = entry.ETag;
            return Results.Json(entry, RouteJson.Options);
        }).Produces<RouteEntry>().ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/routes", async (HttpContext http, RouteAdmin admin) =>
        {
            var (route, error) = await ReadRouteAsync(http.Request).ConfigureAwait(false);
            if (error is not null || string.IsNullOrWhiteSpace(route!.Id))
            {
                return error ?? Results.Problem(statusCode: 400, title: "Invalid route", detail: "The route needs an Id.",
                    extensions: Errors([new ConfigError(null, "Id", "A route needs an id.")]));
            }

            return Respond(http, await admin.PutAsync(route.Id, route, null, createOnly: true, dryRun: false, KeyId(http), http.RequestAborted).ConfigureAwait(false));
        }).WithMetadata(RouteBodyMetadata.Instance).Produces<RouteEntry>(StatusCodes.Status201Created).ProducesValidationErrors();
        api.MapPut("/routes/{id}", async (string id, HttpContext http, RouteAdmin admin) =>
        {
            var (route, error) = await ReadRouteAsync(http.Request).ConfigureAwait(false);
            if (error is not null)
            {
                return error;
            }

            if (route!.Id is { } bodyId && !string.Equals(bodyId, id, StringComparison.OrdinalIgnoreCase))
            {
                return Results.Problem(statusCode: 400, title: "Invalid route", detail: $"The body's Id '{bodyId}' differs from the URL's '{id}'.",
                    extensions: Errors([new ConfigError(bodyId, "Id", "Must match the id in the URL.")]));
            }

            var ifMatch = http.Request.Headers.IfMatch.ToString();
            return Respond(http, await admin.PutAsync(id, route, ifMatch.Length == 0 ? null : ifMatch, createOnly: false, dryRun: false, KeyId(http), http.RequestAborted)
                .ConfigureAwait(false));
        }).WithMetadata(RouteBodyMetadata.Instance).Produces<RouteEntry>().Produces<RouteEntry>(StatusCodes.Status201Created).ProducesValidationErrors()
            .ProducesProblem(StatusCodes.Status412PreconditionFailed);
        api.MapDelete("/routes/{id}", async (string id, HttpContext http, RouteAdmin admin) =>
        {
            var ifMatch = http.Request.Headers.IfMatch.ToString();
            return Respond(http, await admin.DeleteAsync(id, ifMatch.Length == 0 ? null : ifMatch, KeyId(http), http.RequestAborted).ConfigureAwait(false));
        }).Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed);
        api.MapPost("/routes/validate", async (HttpContext http, RouteAdmin admin) =>
        {
            var (route, error) = await ReadRouteAsync(http.Request).ConfigureAwait(false);
            if (error is not null)
            {
                return error;
            }

            var outcome = await admin.PutAsync(route!.Id ?? "unnamed", route, null, createOnly: false, dryRun: true, KeyId(http), http.RequestAborted)
                .ConfigureAwait(false);
            return outcome.Title is null ? Results.Ok(new { Valid = true }) : Problem(outcome);
        }).WithMetadata(RouteBodyMetadata.Instance).ProducesValidationErrors();

        secured.MapGet("/api/listeners", (LiveConfiguration live, ProxyMetrics metrics, UdpListeners udp) => Results.Json(AdminViews.Listeners(live.Current, metrics, udp)))
            .WithTags("Status");
        secured.MapGet("/api/status", (LiveConfiguration live, ProxyMetrics metrics) => Results.Json(AdminViews.Status(live, metrics)))
            .WithTags("Status");
        secured.MapGet("/api/audit", async (IRouteStore store, HttpContext http, int? limit) =>
            Results.Json(await store.ReadAuditAsync(Math.Clamp(limit ?? 100, 1, 1000), http.RequestAborted).ConfigureAwait(false)))
            .WithTags("Status").Produces<IReadOnlyList<AuditRecord>>();
    }

    private static RouteHandlerBuilder ProducesValidationErrors(this RouteHandlerBuilder builder)
        => builder.ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict);

    private static string KeyId(HttpContext http) => http.Items[KeyIdItem] as string ?? AdminKeys.Anonymous;

    /// <summary>Reads a route with the store's strict JSON rules, turning every JSON mistake into a precise 400.</summary>
    private static async Task<(RouteConfig? Route, IResult? Error)> ReadRouteAsync(HttpRequest request)
    {
        if (!request.HasJsonContentType())
        {
            return (null, Results.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type",
                detail: "Send the route as application/json."));
        }

        try
        {
            var route = await JsonSerializer.DeserializeAsync<RouteConfig>(request.Body, RouteJson.Options, request.HttpContext.RequestAborted)
                .ConfigureAwait(false);
            return route is null
                ? (null, Results.Problem(statusCode: 400, title: "Invalid JSON", detail: "The body is null; send a route object."))
                : (route, null);
        }
        catch (JsonException ex)
        {
            var where = ex.Path is null ? string.Empty : $" (at {ex.Path}, line {ex.LineNumber + 1}, byte {ex.BytePositionInLine})";
            return (null, Results.Problem(statusCode: 400, title: "Invalid JSON", detail: ex.Message.Split(" Path:")[0] + where));
        }
    }

    private static IResult Respond(HttpContext http, AdminOutcome outcome)
    {
        if (outcome.Title is not null)
        {
            return Problem(outcome);
        }

        if (outcome.Entry is { } entry)
        {
            http.Response.Headers.ETag = entry.ETag;
            if (outcome.Status == StatusCodes.Status201Created)
            {
                return new CreatedResult(Results.Json(entry, RouteJson.Options, statusCode: 201), "/api/routes/" + Uri.EscapeDataString(entry.Route.Id!));
            }

            return Results.Json(entry, RouteJson.Options, statusCode: outcome.Status);
        }

        return Results.StatusCode(outcome.Status);
    }

    private static IResult Problem(AdminOutcome outcome)
        => Results.Problem(statusCode: outcome.Status, title: outcome.Title, detail: outcome.Detail,
            extensions: outcome.Errors is { Count: > 0 } errors ? Errors(errors) : null);

    private static Dictionary<string, object?> Errors(IReadOnlyList<ConfigError> errors)
    {
        var list = new List<FieldError>(errors.Count);
        foreach (var error in errors)
        {
            list.Add(new FieldError(error.RouteId, error.Field, error.Message));
        }

        return new Dictionary<string, object?> { ["errors"] = list };
    }

    /// <summary>A JSON result with a Location header.</summary>
    private sealed class CreatedResult(IResult inner, string location) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.Location = location;
            return inner.ExecuteAsync(httpContext);
        }
    }
}
