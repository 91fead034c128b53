using System.Linq.Expressions;
using IoTix.Web.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;

namespace IoTix.Web.Tenancy;

/// <summary>
/// Tenant isolation by convention: every entity implementing <see cref="ITenantScoped"/> gets a global query filter on
/// the context's tenant (<see cref="IoTixDbContext.TenantId"/>; null = host work across tenants), an index on TenantId,
/// and its TenantId stamped on insert. A row of another tenant is invisible to queries, Find, ExecuteUpdate/Delete.
/// </summary>
internal static class TenantQueryFilters
{
    public static void Apply(ModelBuilder modelBuilder, IoTixDbContext context)
    {
        foreach (var entityType in modelBuilder.Model.GetEntityTypes())
        {
            var clr = entityType.ClrType;
            if (!typeof(ITenantScoped).IsAssignableFrom(clr) || entityType.BaseType is not null)
            {
                continue;
            }

            // e => context.TenantId == null || e.TenantId == context.TenantId
            var entity = Expression.Parameter(clr, "e");
            var current = Expression.Property(Expression.Constant(context), nameof(IoTixDbContext.TenantId));
            var body = Expression.OrElse(
                Expression.Equal(current, Expression.Constant(null, typeof(string))),
                Expression.Equal(Expression.Property(entity, nameof(ITenantScoped.TenantId)), current));
            var builder = modelBuilder.Entity(clr);
            builder.HasQueryFilter(Expression.Lambda(body, entity));
            builder.Property(nameof(ITenantScoped.TenantId)).HasMaxLength(64).IsRequired().HasDefaultValue(Tenants.Default);
            builder.HasIndex(nameof(ITenantScoped.TenantId));
        }
    }

    /// <summary>Stamps new tenant rows with the context's tenant; refuses a write into another tenant.</summary>
    public static void Stamp(ChangeTracker changeTracker, string? tenantId)
    {
        foreach (var entry in changeTracker.Entries<ITenantScoped>())
        {
            if (entry.State == EntityState.Added && string.IsNullOrEmpty(entry.Entity.TenantId))
            {
                entry.Entity.TenantId = tenantId ?? Tenants.Default;
            }
            else if (tenantId is not null
                && entry.State is EntityState.Added or EntityState.Modified
                && !string.Equals(entry.Entity.TenantId, tenantId, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"a {entry.Metadata.ClrType.Name} of tenant '{entry.Entity.TenantId}' cannot be written while acting for tenant '{tenantId}'");
            }
        }
    }
}
