using System.Net;
using IoTix.Tests.Shared;
using IoTix.Tests.Web.Api;
using IoTix.Web.Audit;
using IoTix.Web.Data;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace IoTix.Tests.Web.Accounts;

/// <summary>The audit log on a real PostgreSQL: changes and sensitive reads recorded, filters, CSV and JSON export, retention.</summary>
[Collection(PostgresCollection.Name)]
public sealed class AuditTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_change_is_recorded_with_who_what_outcome_and_status()
    {
        await using var host = await AccountsHost.StartAsync(postgres);
        var admin = host.Factory.CreateClient();
        Assert.Equal(HttpStatusCode.Created, (await admin.PostJsonAsync("/api/v1/groups", """{"modelId": "file-sensor", "count": 1, "groupId": "audited"}""")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync("/api/v1/groups/nowhere")).StatusCode);

        var entries = await admin.GetJsonAsync("/api/v1/audit?action=/api/v1/groups");

        var created = Assert.Single(entries.EnumerateArray(), e => e.GetProperty("action").GetString() == "POST /api/v1/groups/");
        Assert.Equal("apikey:admin (IoTix:Admin:ApiKey)", created.GetProperty("actor").GetString());
        Assert.Equal("success", created.GetProperty("outcome").GetString());
        Assert.Equal(201, created.GetProperty("statusCode").GetInt32());
        var failed = Assert.Single(entries.EnumerateArray(), e => e.GetProperty("action").GetString() == "DELETE /api/v1/groups/{groupId}");
        Assert.Equal("failed", failed.GetProperty("outcome").GetString());
        Assert.Equal("/api/v1/groups/nowhere", failed.GetProperty("target").GetString());
    }

    [Fact]
    public async Task Reading_the_audit_log_is_itself_audited_and_filters_apply()
    {
        await using var host = await AccountsHost.StartAsync(postgres);
        var admin = host.Factory.CreateClient();
        await admin.GetJsonAsync("/api/v1/audit");

        var reads = await admin.GetJsonAsync("/api/v1/audit?action=GET /api/v1/audit&outcome=success");
        using var bad = await admin.GetAsync("/api/v1/audit?outcome=maybe&from=yesterday");

        Assert.NotEmpty(reads.EnumerateArray());
        Assert.All(reads.EnumerateArray(), e => Assert.StartsWith("GET /api/v1/audit", e.GetProperty("action").GetString(), StringComparison.Ordinal));
        await bad.AssertFieldProblemAsync(HttpStatusCode.BadRequest, "outcome");
    }

    [Fact]
    public async Task The_export_is_csv_or_json_with_every_filtered_entry()
    {
        await using var host = await AccountsHost.StartAsync(postgres);
        var admin = host.Factory.CreateClient();
        Assert.Equal(HttpStatusCode.Created, (await admin.PostJsonAsync("/api/v1/groups", """{"modelId": "file-sensor", "count": 1, "groupId": "exported"}""")).StatusCode);

        using var csv = await admin.GetAsync("/api/v1/audit/export?format=csv&action=POST");
        using var json = await admin.GetAsync("/api/v1/audit/export?format=json&action=POST");
        var csvText = await csv.Content.ReadAsStringAsync();
        var rows = await json.JsonAsync();

        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        Assert.Equal("audit.csv", csv.Content.Headers.ContentDisposition?.FileName);
        var lines = csvText.TrimEnd('\n').Split('\n');
        Assert.Equal("id,at,actor,action,target,outcome,statusCode,remoteIp,details", lines[0]);
        Assert.Contains(lines, l => l.Contains("POST /api/v1/groups/", StringComparison.Ordinal) && l.Contains(",success,201,", StringComparison.Ordinal));
        Assert.Equal(lines.Length - 1, rows.GetArrayLength());
    }

    [Fact]
    public async Task The_purge_deletes_entries_older_than_the_retention_only()
    {
        await using var host = await AccountsHost.StartAsync(postgres);
        var database = host.Factory.Services.GetRequiredService<IoTixDatabase>();
        var options = Options.Create(new AuditOptions { RetentionDays = 30 });
        var now = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var log = new EfAuditLog(database, now, options, NullLogger<EfAuditLog>.Instance);
        await log.WriteAsync(new AuditEntry("default", "tester", "old.entry", "x", AuditOutcomes.Success));
        now.Advance(TimeSpan.FromDays(31));
        await log.WriteAsync(new AuditEntry("default", "tester", "new.entry", "x", AuditOutcomes.Success));

        var purged = await log.PurgeAsync();
        var left = await log.QueryAsync(new AuditQuery(Actor: "tester"));

        Assert.True(purged >= 1);
        Assert.Equal(["new.entry"], left.Select(e => e.Action).ToList());
    }
}
