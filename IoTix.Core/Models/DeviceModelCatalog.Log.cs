using Microsoft.Extensions.Logging;

namespace IoTix.Core.Models;

internal sealed partial class DeviceModelCatalog
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1100, Level = LogLevel.Information, Message = "Loaded {ModelCount} device models from {Folder} ({ProblemCount} files with problems)")]
        public static partial void Loaded(ILogger logger, int modelCount, int problemCount, string folder);

        [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Reloaded device models from {Folder}: {ModelCount} models, {ProblemCount} files with problems")]
        public static partial void Reloaded(ILogger logger, int modelCount, int problemCount, string folder);

        [LoggerMessage(EventId = 1102, Level = LogLevel.Debug, Message = "Loaded device model {ModelId} from {File}")]
        public static partial void FileLoaded(ILogger logger, string file, string modelId);

        [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "Device model file {File} is invalid ({ErrorCount} errors), first: {FirstError}")]
        public static partial void FileInvalid(ILogger logger, string file, int errorCount, string firstError);

        [LoggerMessage(EventId = 1104, Level = LogLevel.Warning, Message = "Device model file {File} is invalid after an edit ({ErrorCount} errors); keeping the last good version of {ModelId} loaded. First: {FirstError}")]
        public static partial void FileInvalidKeepingLastGood(ILogger logger, string file, int errorCount, string modelId, string firstError);

        [LoggerMessage(EventId = 1105, Level = LogLevel.Information, Message = "Device model file {File} is valid again ({ModelId})")]
        public static partial void FileFixed(ILogger logger, string file, string modelId);

        [LoggerMessage(EventId = 1106, Level = LogLevel.Information, Message = "Device model file {File} was removed (model {ModelId} unloaded)")]
        public static partial void FileRemoved(ILogger logger, string file, string? modelId);

        [LoggerMessage(EventId = 1107, Level = LogLevel.Warning, Message = "Device model folder {Folder} does not exist; no models loaded from files (set IoTix:Models:Path or DEVICE_MODEL_PATH)")]
        public static partial void FolderMissing(ILogger logger, string folder);

        [LoggerMessage(EventId = 1108, Level = LogLevel.Information, Message = "Watching {Folder} for device model changes (reload after {DebounceMs} ms of quiet)")]
        public static partial void Watching(ILogger logger, string folder, int debounceMs);

        [LoggerMessage(EventId = 1109, Level = LogLevel.Warning, Message = "File watcher on {Folder} failed; rescanning the folder")]
        public static partial void WatcherError(ILogger logger, string folder, Exception exception);

        [LoggerMessage(EventId = 1110, Level = LogLevel.Error, Message = "Reloading device models from {Folder} failed; keeping the loaded models")]
        public static partial void ReloadFailed(ILogger logger, string folder, Exception exception);

        [LoggerMessage(EventId = 1111, Level = LogLevel.Error, Message = "A device model catalog Changed handler threw")]
        public static partial void ChangedHandlerFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 1114, Level = LogLevel.Warning, Message = "Cannot watch {Folder} for changes; rescanning it every {PollMs} ms instead")]
        public static partial void WatcherUnavailable(ILogger logger, string folder, int pollMs, Exception exception);

        [LoggerMessage(EventId = 1112, Level = LogLevel.Information, Message = "Stored device model {ModelId} added through the API")]
        public static partial void ApiModelStored(ILogger logger, string modelId);

        [LoggerMessage(EventId = 1113, Level = LogLevel.Information, Message = "Removed device model {ModelId} added through the API")]
        public static partial void ApiModelRemoved(ILogger logger, string modelId);
    }
}
