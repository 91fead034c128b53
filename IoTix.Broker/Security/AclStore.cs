using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IoTix.Broker.Security;

/// <summary>
/// Holds the current <see cref="AclPolicy"/> and reloads <c>Broker:AclFile</c> when it changes (FR-024):
/// a valid new file replaces the policy for every client's next operation; an invalid one is logged and
/// the previous policy stays.
/// </summary>
internal sealed partial class AclStore : IDisposable
{
    private static readonly TimeSpan ReloadDebounce = TimeSpan.FromMilliseconds(200);

    private readonly string? _path;
    private readonly ILogger<AclStore> _logger;
    private readonly TimeProvider _timeProvider;
    private readonly object _reloadLock = new();
    private FileSystemWatcher? _watcher;
    private ITimer? _debounceTimer;
    private volatile AclPolicy _policy = AclPolicy.AllowAll;
    private long _version;
    private DateTimeOffset? _loadedAt;

    public AclStore(IOptions<BrokerOptions> options, ILogger<AclStore> logger, TimeProvider timeProvider)
    {
        _path = string.IsNullOrWhiteSpace(options.Value.AclFile) ? null : Path.GetFullPath(options.Value.AclFile);
        _logger = logger;
        _timeProvider = timeProvider;
    }

    public AclPolicy Current => _policy;

    /// <summary>Incremented on each successful load; lets tests and the console see a reload happened.</summary>
    public long Version => Interlocked.Read(ref _version);

    /// <summary>Full path of <c>Broker:AclFile</c>; null when no ACL file is configured (everything allowed).</summary>
    public string? SourcePath => _path;

    /// <summary>When the current rules were loaded (start or last successful reload); null before the first load.</summary>
    public DateTimeOffset? LoadedAt
    {
        get
        {
            lock (_reloadLock)
            {
                return _loadedAt;
            }
        }
    }

    /// <summary>Raised after a successful reload.</summary>
    public event Action<AclPolicy>? Reloaded;

    /// <summary>Loads the file and starts watching it; fails fast when the initial file is invalid.</summary>
    public void Start()
    {
        if (_path is null)
        {
            return;
        }

        if (!TryLoad(out var error))
        {
            throw new InvalidOperationException($"Broker:AclFile '{_path}' is invalid: {error}");
        }

        _debounceTimer = _timeProvider.CreateTimer(static state => ((AclStore)state!).Reload(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _watcher = new FileSystemWatcher(Path.GetDirectoryName(_path)!, Path.GetFileName(_path))
        {
            NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.CreationTime,
        };
        _watcher.Changed += OnFileEvent;
        _watcher.Created += OnFileEvent;
        _watcher.Renamed += OnFileEvent;
        _watcher.EnableRaisingEvents = true;
    }

    public void Dispose()
    {
        _watcher?.Dispose();
        _debounceTimer?.Dispose();
    }

    private void OnFileEvent(object sender, FileSystemEventArgs e) =>
        _debounceTimer?.Change(ReloadDebounce, Timeout.InfiniteTimeSpan);

    private void Reload()
    {
        try
        {
            if (TryLoad(out var error))
            {
                LogAclReloaded(_logger, _path!, _policy.Rules.Count);
                Reloaded?.Invoke(_policy);
            }
            else
            {
                LogAclReloadFailed(_logger, _path!, error);
            }
        }
        catch (IOException exception)
        {
            LogAclReloadFailed(_logger, _path!, exception.Message);
            _debounceTimer?.Change(ReloadDebounce, Timeout.InfiniteTimeSpan);
        }
    }

    private bool TryLoad(out string error)
    {
        lock (_reloadLock)
        {
            string content;
            try
            {
                content = File.ReadAllText(_path!);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                error = exception.Message;
                return false;
            }

            if (!AclPolicy.TryParse(content, out var policy, out error))
            {
                return false;
            }

            _policy = policy;
            _loadedAt = _timeProvider.GetUtcNow();
            Interlocked.Increment(ref _version);
            return true;
        }
    }

    [LoggerMessage(EventId = 1301, Level = LogLevel.Information, Message = "ACL file {Path} loaded: {RuleCount} rules")]
    private static partial void LogAclReloaded(ILogger logger, string path, int ruleCount);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Error, Message = "ACL file {Path} not applied, the previous rules stay: {Error}")]
    private static partial void LogAclReloadFailed(ILogger logger, string path, string error);
}
