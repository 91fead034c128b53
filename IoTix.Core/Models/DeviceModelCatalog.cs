using Microsoft.Extensions.Logging;

namespace IoTix.Core.Models;

/// <summary>
/// The loaded device models: every *.json of the model folder (subfolders included, *.schema.json
/// skipped) plus models added through <see cref="IDeviceModelRegistry"/>. Watches the folder and
/// reloads changed files after a short quiet time; a file that turns invalid keeps its last good
/// model loaded and is listed in <see cref="Problems"/> until fixed. Readers get immutable
/// snapshots (copy on write); one lock serialises writers.
/// </summary>
internal sealed partial class DeviceModelCatalog : IDeviceModelRegistry, IDisposable
{
    /// <summary>Rescan period when the folder cannot be watched.</summary>
    internal static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(2);

    private readonly Lock _gate = new();
    private readonly DeviceModelValidator _validator;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TimeSpan _debounce;
    private readonly Dictionary<string, FileEntry> _files = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DeviceModel> _apiModels = new(StringComparer.Ordinal);
    private volatile Snapshot _snapshot = Snapshot.Empty;
    private long _nextSequence;
    private readonly Dictionary<string, DateTime> _dataFiles = new(StringComparer.Ordinal);
    private volatile bool _loaded;
    private bool _folderMissing;
    private bool _disposed;
    private FileSystemWatcher? _watcher;
    private ITimer? _reloadTimer;

    public DeviceModelCatalog(string folder, DeviceModelValidator validator, TimeProvider time, ILogger<DeviceModelCatalog> logger, TimeSpan debounce)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        Folder = Path.GetFullPath(folder);
        _validator = validator;
        _time = time;
        _logger = logger;
        _debounce = debounce;
    }

    /// <summary>The model folder (absolute).</summary>
    public string Folder { get; }

    public IReadOnlyList<DeviceModel> Models => Current.Models;

    public IReadOnlyList<ModelLoadProblem> Problems => Current.Problems;

    public event EventHandler? Changed;

    private Snapshot Current
    {
        get
        {
            if (!_loaded)
            {
                Load();
            }

            return _snapshot;
        }
    }

    public bool TryGet(string id, out DeviceModel model)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (Current.ById.TryGetValue(id, out var found))
        {
            model = found.Model;
            return true;
        }

        model = null!;
        return false;
    }

    public bool TryGetSourceFile(string id, out string? file)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (Current.ById.TryGetValue(id, out var found))
        {
            file = found.File;
            return true;
        }

        file = null;
        return false;
    }

    /// <summary>Loads the folder once (idempotent); <see cref="StartWatching"/> keeps it current afterwards.</summary>
    public void Load()
    {
        lock (_gate)
        {
            if (_loaded)
            {
                return;
            }

            ScanLocked(reloadAll: true);
            _loaded = true;
            PublishLocked();
            Log.Loaded(_logger, _snapshot.Models.Length, _snapshot.Problems.Length, Folder);
        }
    }

    /// <summary>Loads the folder if not done yet and starts watching it for changes.</summary>
    public void StartWatching()
    {
        Load();
        lock (_gate)
        {
            if (_reloadTimer is not null || _disposed || !Directory.Exists(Folder))
            {
                return;
            }

            _reloadTimer = _time.CreateTimer(static state => ((DeviceModelCatalog)state!).Reload(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            var watcher = new FileSystemWatcher(Folder)
            {
                IncludeSubdirectories = true,
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
                InternalBufferSize = 64 * 1024,
            };
            watcher.Created += OnFileEvent;
            watcher.Changed += OnFileEvent;
            watcher.Deleted += OnFileEvent;
            watcher.Renamed += OnFileEvent;
            watcher.Error += OnWatcherError;
            try
            {
                watcher.EnableRaisingEvents = true;
            }
            catch (IOException ex)
            {
                // E.g. Linux's per-user inotify limit: fall back to rescanning the folder on a timer.
                watcher.Dispose();
                Log.WatcherUnavailable(_logger, Folder, (int)PollInterval.TotalMilliseconds, ex);
                _reloadTimer.Change(PollInterval, PollInterval);
                return;
            }

            _watcher = watcher;
            Log.Watching(_logger, Folder, (int)_debounce.TotalMilliseconds);
        }
    }

    /// <summary>Loads the folder and rescans it every <paramref name="interval"/> instead of watching it (the fallback when watching fails).</summary>
    internal void StartPolling(TimeSpan interval)
    {
        Load();
        lock (_gate)
        {
            if (_reloadTimer is not null || _disposed)
            {
                return;
            }

            _reloadTimer = _time.CreateTimer(static state => ((DeviceModelCatalog)state!).Reload(), this, interval, interval);
        }
    }

    /// <summary>Stops watching the folder; the loaded models stay.</summary>
    public void StopWatching()
    {
        lock (_gate)
        {
            _watcher?.Dispose();
            _watcher = null;
            _reloadTimer?.Dispose();
            _reloadTimer = null;
        }
    }

    public ModelValidationResult Upsert(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return Store(_validator.Validate(json));
    }

    public ModelValidationResult Upsert(DeviceModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Store(_validator.Validate(model));
    }

    public ModelRemoval Remove(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        Load();
        lock (_gate)
        {
            if (!_apiModels.Remove(id))
            {
                return _snapshot.ById.TryGetValue(id, out var found) && found.File is not null ? ModelRemoval.DefinedByFile : ModelRemoval.NotFound;
            }

            PublishLocked();
        }

        Log.ApiModelRemoved(_logger, id);
        RaiseChanged();
        return ModelRemoval.Removed;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
        }

        StopWatching();
    }

    private ModelValidationResult Store(ModelValidationResult result)
    {
        if (!result.IsValid)
        {
            return result;
        }

        Load();
        var model = result.Model;
        lock (_gate)
        {
            if (_snapshot.ById.TryGetValue(model.Id, out var existing) && existing.File is not null)
            {
                return ModelValidationResult.Invalid(model.Id, null,
                    [new ModelError(null, "$.id", $"model '{model.Id}' is defined by file {existing.File}; edit that file instead")]);
            }

            _apiModels[model.Id] = model;
            PublishLocked();
        }

        Log.ApiModelStored(_logger, model.Id);
        RaiseChanged();
        return result;
    }

    private void OnFileEvent(object sender, FileSystemEventArgs e) => ScheduleReload();

    private void OnWatcherError(object sender, ErrorEventArgs e)
    {
        Log.WatcherError(_logger, Folder, e.GetException());
        ScheduleReload();
    }

    private void ScheduleReload()
    {
        lock (_gate)
        {
            // Every event restarts the quiet period: an editor's save is several events.
            _reloadTimer?.Change(_debounce, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Rescans the folder and reloads what changed. Runs on the timer; never throws.</summary>
    internal void Reload()
    {
        bool changed;
        try
        {
            lock (_gate)
            {
                if (_disposed)
                {
                    return;
                }

                changed = ScanLocked(reloadAll: false);
                if (changed)
                {
                    PublishLocked();
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.ReloadFailed(_logger, Folder, ex);
            return;
        }

        if (changed)
        {
            Log.Reloaded(_logger, _snapshot.Models.Length, _snapshot.Problems.Length, Folder);
            RaiseChanged();
        }
    }

    /// <summary>Brings <see cref="_files"/> in line with the folder; true when anything changed.</summary>
    private bool ScanLocked(bool reloadAll)
    {
        if (!Directory.Exists(Folder))
        {
            bool wasMissing = _folderMissing;
            _folderMissing = true;
            bool had = _files.Count > 0;
            _files.Clear();
            if (!wasMissing)
            {
                Log.FolderMissing(_logger, Folder);
            }

            return had || !wasMissing;
        }

        bool folderReturned = _folderMissing;
        _folderMissing = false;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var files = new List<(string Path, DateTime Written, long Length)>();
        var dataSeen = new HashSet<string>(StringComparer.Ordinal);
        bool dataChanged = false;
        foreach (var path in Directory.EnumerateFiles(Folder, "*", SearchOption.AllDirectories))
        {
            var info = new FileInfo(path);
            if (IsModelFile(path))
            {
                files.Add((path, info.LastWriteTimeUtc, info.Length));
                continue;
            }

            // A data file (replay CSV) that appeared or changed: re-check every model, any may use it.
            dataSeen.Add(path);
            if (!_dataFiles.TryGetValue(path, out var written) || written != info.LastWriteTimeUtc)
            {
                _dataFiles[path] = info.LastWriteTimeUtc;
                dataChanged = true;
            }
        }

        foreach (var path in _dataFiles.Keys.ToArray())
        {
            if (!dataSeen.Contains(path))
            {
                _dataFiles.Remove(path);
                dataChanged = true;
            }
        }

        files.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        bool changed = folderReturned;
        foreach (var (path, written, length) in files)
        {
            seen.Add(path);
            if (_files.TryGetValue(path, out var entry) && !reloadAll && !dataChanged && entry.Written == written && entry.Length == length)
            {
                continue;
            }

            entry ??= new FileEntry(path, _nextSequence++);
            entry.Written = written;
            entry.Length = length;
            var result = _validator.ValidateFile(path);
            if (result.IsValid)
            {
                if (entry.Errors is not null)
                {
                    Log.FileFixed(_logger, path, result.Model.Id);
                }

                entry.Good = result.Model;
                entry.Errors = null;
                Log.FileLoaded(_logger, path, result.Model.Id);
            }
            else
            {
                entry.Errors = result.Errors;
                if (entry.Good is null)
                {
                    Log.FileInvalid(_logger, path, result.Errors.Count, FirstError(result));
                }
                else
                {
                    Log.FileInvalidKeepingLastGood(_logger, path, result.Errors.Count, entry.Good.Id, FirstError(result));
                }
            }

            _files[path] = entry;
            changed = true;
        }

        foreach (var path in _files.Keys.ToArray())
        {
            if (!seen.Contains(path))
            {
                Log.FileRemoved(_logger, path, _files[path].Good?.Id);
                _files.Remove(path);
                changed = true;
            }
        }

        return changed;
    }

    private static string FirstError(ModelValidationResult result) => $"{result.Errors[0].Path}: {result.Errors[0].Message}";

    internal static bool IsModelFile(string path) =>
        path.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
        && !path.EndsWith(".schema.json", StringComparison.OrdinalIgnoreCase);

    /// <summary>Builds and publishes a new snapshot from the current entries (caller holds the lock).</summary>
    private void PublishLocked()
    {
        var byId = new Dictionary<string, Loaded>(StringComparer.Ordinal);
        foreach (var (id, model) in _apiModels)
        {
            byId[id] = new Loaded(model, null);
        }

        var problems = new List<ModelLoadProblem>();
        if (_folderMissing)
        {
            problems.Add(new ModelLoadProblem(Folder, [new ModelError(Folder, "$", "the device model folder does not exist")]));
        }

        var entries = new List<FileEntry>(_files.Values);
        entries.Sort((a, b) => a.Sequence.CompareTo(b.Sequence));
        foreach (var entry in entries)
        {
            var errors = entry.Errors is null ? new List<ModelError>() : [.. entry.Errors];
            if (entry.Good is { } model)
            {
                if (byId.TryGetValue(model.Id, out var owner))
                {
                    errors.Add(new ModelError(entry.Path, "$.id", owner.File is null
                        ? $"duplicate model id '{model.Id}': already used by a model added through the API"
                        : $"duplicate model id '{model.Id}': already defined in {owner.File}"));
                }
                else
                {
                    byId[model.Id] = new Loaded(model, entry.Path);
                }
            }

            if (errors.Count > 0)
            {
                problems.Add(new ModelLoadProblem(entry.Path, errors));
            }
        }

        var models = new DeviceModel[byId.Count];
        int i = 0;
        foreach (var loaded in byId.Values)
        {
            models[i++] = loaded.Model;
        }

        Array.Sort(models, static (a, b) => string.CompareOrdinal(a.Id, b.Id));
        problems.Sort(static (a, b) => string.CompareOrdinal(a.File, b.File));
        _snapshot = new Snapshot(models, byId, [.. problems]);
    }

    private void RaiseChanged()
    {
        var handlers = Changed;
        if (handlers is null)
        {
            return;
        }

        foreach (var handler in handlers.GetInvocationList())
        {
            try
            {
                ((EventHandler)handler)(this, EventArgs.Empty);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                Log.ChangedHandlerFailed(_logger, ex);
            }
        }
    }

    private sealed class FileEntry(string path, long sequence)
    {
        public string Path { get; } = path;

        /// <summary>Order of first sight: of two files with one id, the earlier keeps it.</summary>
        public long Sequence { get; } = sequence;

        public DateTime Written { get; set; }

        public long Length { get; set; }

        /// <summary>The last valid version of the file, kept while a later edit is broken.</summary>
        public DeviceModel? Good { get; set; }

        /// <summary>Errors of the current version of the file; null when it is valid.</summary>
        public IReadOnlyList<ModelError>? Errors { get; set; }
    }

    private sealed record Loaded(DeviceModel Model, string? File);

    private sealed class Snapshot(DeviceModel[] models, Dictionary<string, Loaded> byId, ModelLoadProblem[] problems)
    {
        public static readonly Snapshot Empty = new([], new Dictionary<string, Loaded>(StringComparer.Ordinal), []);

        public DeviceModel[] Models { get; } = models;

        public Dictionary<string, Loaded> ById { get; } = byId;

        public ModelLoadProblem[] Problems { get; } = problems;
    }
}
